"""Schemathesis against the OpenAPI document Powertools exports, served by the local stack:
fixed seed, every check (tests/proof/schemathesis.toml). `make test` takes 50 examples per operation
(its five minutes); `make fuzz` runs the same with 500 (CCP_FUZZ_EXAMPLES)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import figures
from tests.support.local_stack import demo_member, running_stack, token

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("CCP_FUZZ_EXAMPLES", "50"))
CONFIG = ROOT / "tests" / "proof" / "schemathesis.toml"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("fuzz") / "up.log", demo_members=3) as running:
        yield running


def test_every_operation_survives_fuzzing_with_every_check(stack, tmp_path):
    member_id = demo_member(stack)
    env = {
        **os.environ,
        "CCP_MEMBER_ID": member_id,
        "CCP_MEMBER_TOKEN": token(stack, member_id=member_id),
        "CCP_STAFF_TOKEN": token(stack),
        "NO_COLOR": "1",
    }
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{stack['api']}/_local/openapi.json",
        "--max-examples",
        str(EXAMPLES),
        "--report",
        "ndjson",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    summary = _summary(result.stdout)
    figures.record("fuzzing", "operations tested", summary.get("operations", "?"))
    figures.record("fuzzing", "test cases generated", summary.get("cases", "?"))
    figures.record("fuzzing", "seed / examples per operation", f"{summary.get('seed', '?')} / {EXAMPLES}")
    figures.record("fuzzing", "failures (all checks + not_a_server_error)", summary.get("failures", "?"))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert summary["failures"] == 0 and summary["operations"] == 42


def _summary(output: str) -> dict:
    """The figures of schemathesis' closing summary."""
    import re

    found = {}
    if m := re.search(r"Tested: (\d+)", output):
        found["operations"] = int(m.group(1))
    if m := re.search(r"(\d+) generated, (?:(\d+) found (\d+) unique failures?|(\d+) passed)", output):
        found["cases"] = int(m.group(1))
        found["failures"] = int(m.group(3) or 0)
    if m := re.search(r"Seed: (\d+)", output):
        found["seed"] = int(m.group(1))
    return found
