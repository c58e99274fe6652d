"""One local Lambda execution environment: a process that imports one handler and runs events.

Started by the local runner with the function's own environment (as Lambda gives), it reads one
JSON request per line on stdin and answers one JSON line on the protocol pipe. Everything the
handler prints goes to stderr (the function's log), as CloudWatch would collect it.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid


class LocalContext:
    def __init__(self, function_name: str, timeout_s: float, memory_mb: int, request_id: str):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{os.environ.get('AWS_REGION', 'us-east-1')}:123456789012:function:{function_name}"
        )
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    # A background consumer (the table's stream) yields the laptop's cores to the API's workers:
    # in AWS it runs on capacity of its own.
    os.nice(int(os.environ.get("CCP_LOCAL_NICE", "0")))
    handler_path = os.environ["CCP_LOCAL_HANDLER"]
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the handler's prints and logs go to the function log, never into the protocol
    sys.stdout = sys.stderr
    module_name, function_name = handler_path.rsplit(".", 1)
    started = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), function_name)
    init_ms = (time.perf_counter() - started) * 1000
    protocol.write(json.dumps({"ready": True, "init_ms": init_ms}) + "\n")
    name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", module_name)
    timeout_s = float(os.environ.get("CCP_LOCAL_TIMEOUT", "30"))
    memory = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
    for line in sys.stdin:
        request = json.loads(line)
        context = LocalContext(name, timeout_s, memory, request.get("request_id") or str(uuid.uuid4()))
        started = time.perf_counter()
        try:
            result = handler(request["event"], context)
            answer = {"ok": True, "result": result}
        except Exception as error:  # reported to the caller as Lambda reports an unhandled error
            traceback.print_exc()
            answer = {
                "ok": False,
                "error": {"errorMessage": str(error), "errorType": type(error).__name__},
            }
        answer["duration_ms"] = (time.perf_counter() - started) * 1000
        protocol.write(json.dumps(answer, default=str) + "\n")


if __name__ == "__main__":
    main()
