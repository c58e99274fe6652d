import os

import pytest

from tests.support import figures

# Never reach a real AWS account from tests.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
# Tests without a deployed stack: staff tokens (ccp_local.events.staff_claims) carry this issuer.
os.environ.setdefault("STAFF_POOL_ISSUER", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestStaffPool")
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "CCP"
os.environ["POWERTOOLS_SERVICE_NAME"] = "tests"
os.environ["POWERTOOLS_DEV"] = "false"


# ---- PII canaries ------------------------------------------------------------------------
# Names, emails and addresses the tests give members. None may appear in any log line: the
# captured logs and output of every test, and the local stack's function logs.
PII_CANARIES = (
    "Ann Bee",
    "ann@example.org",
    "Pat Lee",
    "pat.lee@example.org",
    "1 Main St",
    "9 Elm St",
    "Rita Renew",
    "rita.renew@example.org",
    "lapsed@example.org",
    "audited@example.org",
    "Oak St",
    # the local stack's demo members, whom the system and fuzzing suites' stacks hold
    "Maria Santos",
    "maria.santos",
    "James Okafor",
    "Dorothy Klein",
)
_pii_found: list[str] = []
_pii_scanned = {"captured sections": 0, "function log lines": 0}


def pytest_runtest_logreport(report):
    for section, content in report.sections:
        if not section.startswith("Captured"):
            continue
        _pii_scanned["captured sections"] += 1
        for canary in PII_CANARIES:
            if canary in content:
                _pii_found.append(f"{report.nodeid} [{section}]: {canary!r}")


# The longest modules start first: on parallel workers the run then ends with short ones, not with
# one worker alone on a minute-long module (`make test` keeps this order: --no-loadscope-reorder, as
# pytest-xdist would otherwise order modules by their number of tests). Longest first, as measured.
LONGEST_FIRST = (
    "test_payments",
    "test_status_over_time",
    "test_staff_console",
    "test_portal",
    "test_fuzzing",
    "test_local_stack",
    "test_faults",
    "test_renewals",
    "test_documents",
    "test_recertification",
    "test_import_equivalence",
    "test_template",
    "test_ce_errors",
    "test_totals_properties",
    "test_past_days",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        return next(
            (n for n, name in enumerate(LONGEST_FIRST) if f"/{name}.py" in f"/{item.nodeid}"), len(LONGEST_FIRST)
        )

    items.sort(key=rank)  # stable: the rest keep their order


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")  # a pytest-xdist worker of a parallel run


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """A parallel run: each worker's figures join the controller's table."""
    exported = getattr(node, "workeroutput", {}).get("figures")
    if exported:
        figures.merge(exported)


def pytest_sessionfinish(session, exitstatus):
    from pathlib import Path

    if _is_worker(session.config):
        session.config.workeroutput["figures"] = figures.export()
        return  # the controller sees every report (with its captured sections) and scans the logs

    logs = Path(__file__).resolve().parents[1] / ".ccp-local" / "logs"
    for log in logs.glob("*.log") if logs.exists() else []:
        text = log.read_text(errors="replace")
        _pii_scanned["function log lines"] += text.count("\n")
        _pii_found.extend(f"{log.name}: {canary!r}" for canary in PII_CANARIES if canary in text)
    figures.record("PII", "canaries (names, emails, addresses)", len(PII_CANARIES))
    figures.record(
        "PII",
        "captured log sections / function log lines scanned",
        f"{_pii_scanned['captured sections']:,} / {_pii_scanned['function log lines']:,}",
    )
    figures.record("PII", "canaries found", len(set(_pii_found)))
    if _pii_found:
        print("\nPII canaries found in logs:\n  " + "\n  ".join(sorted(set(_pii_found))[:50]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    """The proof suites' figures as one table (`make proof` runs just those suites)."""
    if figures.FIGURES:
        terminalreporter.write_sep("=", "proof figures")
        terminalreporter.write_line(figures.table())
