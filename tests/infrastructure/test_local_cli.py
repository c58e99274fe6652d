"""How `ccp-local up` waits to be stopped."""

from __future__ import annotations

import subprocess
import sys

# The stack's servers and pollers are threads; a process-directed SIGTERM may be taken by any of them.
# Here it is sent to one of them on purpose.
SIGTERM_TO_ANOTHER_THREAD = """
import signal, threading, time
from ccp_local.cli import wait_for_stop

def poller():
    while True:
        time.sleep(0.05)

thread = threading.Thread(target=poller, daemon=True)
thread.start()
threading.Timer(0.3, lambda: signal.pthread_kill(thread.ident, signal.SIGTERM)).start()
wait_for_stop()
print("stopping")
"""


def test_ccp_local_up_stops_on_a_sigterm_taken_by_another_thread():
    finished = subprocess.run(
        [sys.executable, "-c", SIGTERM_TO_ANOTHER_THREAD], capture_output=True, text=True, timeout=20
    )
    assert finished.stdout.strip() == "stopping", finished.stderr
