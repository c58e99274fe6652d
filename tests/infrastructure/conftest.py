from tests.support.embedded_aws import aws  # noqa: F401  (and embedded DynamoDB installed)
