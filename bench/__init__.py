"""Benchmarks (`make bench`): ratios measured in one run, in embedded AWS."""

# What every benchmark runs with: embedded AWS's region and dummy keys, Powertools quiet.
OFFLINE_AWS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_NAMESPACE": "CCP",
    "POWERTOOLS_SERVICE_NAME": "bench",
}
