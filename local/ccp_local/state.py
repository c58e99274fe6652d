"""Where the local stack keeps what its commands share: `.ccp-local/` (function logs, print batches)
and the running stack's ports (no moto or boto3 here: `ccp-local token` and friends import it)."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = Path(__file__).resolve().parents[2] / ".ccp-local"


def state_file() -> Path:
    """Where `up` writes the running stack's ports for the other commands: .ccp-local/state.json, or
    CCP_LOCAL_STATE_FILE (stacks started side by side, as parallel test workers do, each their own)."""
    return Path(os.environ.get("CCP_LOCAL_STATE_FILE") or STATE_DIR / "state.json")
