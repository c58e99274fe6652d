"""Local Lambda runtime: a pool of worker processes per function of the deployed template."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ccp_local.template import ROOT, FunctionSpec

STOP_GRACE_SECONDS = 1.0  # how long a stop lets busy workers finish before killing them


class InvokeError(Exception):
    def __init__(self, payload: dict[str, Any]):
        super().__init__(payload.get("errorMessage", "function error"))
        self.payload = payload


@dataclass
class InvokeResult:
    result: Any
    duration_ms: float  # time inside the handler


class _Worker:
    def __init__(self, command: list[str], env: dict[str, str], log: TextIO):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, text=True, bufsize=1
        )
        assert self.process.stdin is not None and self.process.stdout is not None  # both are pipes
        self._stdin, self._stdout = self.process.stdin, self.process.stdout
        ready = json.loads(self._stdout.readline() or "{}")
        if not ready.get("ready"):
            raise RuntimeError(f"worker for {env.get('CCP_LOCAL_HANDLER')} did not start; see its log")
        self.init_ms = ready["init_ms"]

    def invoke(self, event: Any) -> dict[str, Any]:
        self._stdin.write(json.dumps({"event": event, "request_id": str(uuid.uuid4())}) + "\n")
        self._stdin.flush()
        line = self._stdout.readline()
        if not line:
            raise InvokeError({"errorMessage": "the function's process exited", "errorType": "Runtime.ExitError"})
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None and not self._stdin.closed:
            self._stdin.close()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Exit when idle; killed if still busy after `grace` seconds (embedded AWS, whose state its
        work would change, is going away with it)."""
        self.close()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()  # reaped: no zombie is left behind


class LocalFunction:
    """One function: up to `concurrency` warm workers, started on demand (cold starts included)."""

    def __init__(self, spec: FunctionSpec, environment: dict[str, str], log_dir: Path, concurrency: int = 2):
        self.spec = spec
        self.physical_name = environment.get("AWS_LAMBDA_FUNCTION_NAME", spec.logical_id)
        self._env = environment
        self.log_path = log_dir / f"{spec.logical_id}.log"
        self._log = open(self.log_path, "a", buffering=1)  # noqa: SIM115  # open for the function's life, closed by stop()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.Semaphore(concurrency)
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._stopping = False

    def _start_worker(self) -> _Worker:
        # A delivery still in flight when the stack stops leaves no process behind.
        if self._stopping:
            raise _stopping()
        worker = _Worker([sys.executable, "-m", "ccp_local.worker"], self._env, self._log)
        with self._lock:
            if not self._stopping:
                self._all.append(worker)
                return worker
        worker.stop(grace=0)
        raise _stopping()

    def configuration(self, region: str) -> dict[str, Any]:
        """What Lambda's GetFunctionConfiguration says of it (the parts a client reads)."""
        return {
            "FunctionName": self.physical_name,
            "FunctionArn": f"arn:aws:lambda:{region}:123456789012:function:{self.physical_name}",
            "Runtime": "python3.11",
            "Handler": self.spec.handler,
            "Timeout": int(self._env.get("CCP_LOCAL_TIMEOUT", 30)),
            "MemorySize": int(self._env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 512)),
            "PackageType": "Zip",
            "State": "Active",
            "Architectures": ["arm64"],
            "Description": self.spec.logical_id,
        }

    def invoke(self, event: Any) -> InvokeResult:
        with self._slots:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = self._start_worker()
            try:
                answer = worker.invoke(event)
            except Exception:
                worker.stop()
                raise
            self._idle.put(worker)
        if not answer["ok"]:
            raise InvokeError(answer["error"])
        return InvokeResult(result=answer["result"], duration_ms=answer["duration_ms"])

    def close(self) -> None:
        """Tell every worker to exit (it does when its stdin closes), without waiting."""
        with self._lock:
            self._stopping = True
            for worker in self._all:
                worker.close()

    def stop(self, until: float | None = None) -> None:
        """Every worker stopped by `until` (a time.monotonic() deadline; a second from now by default)."""
        self.close()
        until = until if until is not None else time.monotonic() + STOP_GRACE_SECONDS
        with self._lock:
            for worker in self._all:
                worker.stop(grace=max(0.0, until - time.monotonic()))
        self._log.close()


def _stopping() -> InvokeError:
    return InvokeError({"errorMessage": "the local stack is stopping", "errorType": "Runtime.Stopping"})


class LocalRuntime:
    def __init__(self, functions: dict[str, LocalFunction]):
        self.functions = functions
        self._by_name = {f.physical_name: f for f in functions.values()} | functions

    def function(self, name: str) -> LocalFunction:
        # Accept the logical id, the physical name, or an ARN ending in either.
        key = name.rsplit(":", 1)[-1] if name.startswith("arn:") else name
        if key not in self._by_name:
            raise KeyError(name)
        return self._by_name[key]

    def invoke(self, name: str, event: Any) -> InvokeResult:
        return self.function(name).invoke(event)

    def stop(self) -> None:
        for function in self.functions.values():  # every worker told first, then each waited for
            function.close()
        until = time.monotonic() + STOP_GRACE_SECONDS  # one grace for all, not one a worker
        for function in self.functions.values():
            function.stop(until)


def function_environment(
    spec: FunctionSpec, configuration: dict[str, Any], aws_endpoint: str, region: str
) -> dict[str, str]:
    """What Lambda would give the function, pointed at embedded AWS."""
    layer_dir = ROOT / "shared"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(spec.code_dir), str(layer_dir)]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": configuration.get("FunctionName", spec.logical_id),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(configuration.get("MemorySize", 512)),
        "CCP_LOCAL_TIMEOUT": str(configuration.get("Timeout", 30)),
        "CCP_LOCAL_HANDLER": configuration.get("Handler", spec.handler),
        # No X-Ray daemon locally.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    env.update({k: str(v) for k, v in configuration.get("Environment", {}).get("Variables", {}).items()})
    return env
