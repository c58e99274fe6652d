"""`ccp-local up` in a subprocess, as a newcomer starts it, on free ports: for the system and fuzzing suites."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ccp_local.stack import free_port

BIN = Path(sys.executable).parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "ccp-local"), *args], capture_output=True, text=True, timeout=120)


@contextmanager
def running_stack(log: Path, demo_members: int = 5) -> Iterator[dict]:
    api_port, lambda_port = free_port(), free_port()
    # This worker's stack writes its ports to a file of its own, and this worker's `ccp-local`
    # commands read that one: stacks of parallel workers never answer each other's commands.
    os.environ["CCP_LOCAL_STATE_FILE"] = str(log.parent / "state.json")
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                str(BIN / "ccp-local"),
                "up",
                "--port",
                str(api_port),
                "--lambda-port",
                str(lambda_port),
                "--demo-members",
                str(demo_members),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 120
    while "Press Ctrl-C to stop." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("ccp-local up did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)
    try:
        yield {"api": f"http://127.0.0.1:{api_port}", "api_port": api_port, "lambda_port": lambda_port, "log": log}
    finally:
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("ccp-local up did not stop on SIGTERM:\n" + log.read_text()[-3000:]) from None
        # Every function worker went with it.
        left = [pid for pid in children if subprocess.run(["kill", "-0", pid], capture_output=True).returncode == 0]
        assert not left, f"worker processes left running: {left}"


def token(stack: dict, *, member_id: str | None = None) -> str:
    """An ID token from the stack's user pool: a member's, or staff's without a member id."""
    who = ["--member-id", member_id] if member_id else ["--staff"]
    result = cli("token", *who, "--port", str(stack["api_port"]))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def demo_member(stack: dict, name: str = "Maria Santos") -> str:
    line = next(text for text in stack["log"].read_text().splitlines() if name in text)
    return line.split()[0]
