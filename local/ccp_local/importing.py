"""`ccp-local import FILE [--dry-run]`: an import through the running stack's API, as staff run one
(docs/import.md): make it, upload the file by its presigned POST, start it, follow it with a progress
bar, then print the counts and the errors. Exit status 1 when any line was invalid."""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

SHOWN_ERRORS = 20


class ImportClient:
    def __init__(self, port: int):
        self._api = f"http://127.0.0.1:{port}"
        token = requests.get(f"{self._api}/_local/token?staff=true", timeout=30).json()["id_token"]
        self._headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.request(method, f"{self._api}{path}", json=body, headers=self._headers, timeout=60)
        if response.status_code >= 400:
            sys.exit(f"ccp-local: {method} {path}: {response.status_code} {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    def run(self, file: Path, *, dry_run: bool, poll_seconds: float = 0.5) -> dict[str, Any]:
        made = self._call("POST", "/staff/imports", {"dry_run": dry_run})
        upload = made["upload"]
        with file.open("rb") as handle:
            sent = requests.post(
                upload["url"], data=upload["fields"], files={"file": (file.name, handle)}, timeout=3600
            )
        if sent.status_code >= 300:
            sys.exit(f"ccp-local: the upload was refused: {sent.status_code} {sent.text[:500]}")
        path = f"/staff/imports/{urllib.parse.quote(made['import_id'])}"
        status = self._call("POST", f"{path}/start")
        with tqdm(total=None, desc="dry run" if dry_run else "importing", unit="member") as bar:
            while status["state"] == "running":
                time.sleep(poll_seconds)
                status = self._call("GET", path)
                done = status["imported"] + status["unchanged"] + status["invalid"]
                bar.total = status["lines"] or None
                bar.update(done - bar.n)
        return status


def report(status: dict[str, Any]) -> int:
    """Print what the import did; the exit status (1: some line was invalid, or the import failed)."""
    would = "would be imported" if status["dry_run"] else "imported"
    print(
        f"Import {status['import_id']} ({'dry run' if status['dry_run'] else 'written'}), {status['state']}: "
        f"{status['lines']} lines, {status['imported']} {would}, {status['unchanged']} unchanged, "
        f"{status['invalid']} invalid."
    )
    for error in status["errors"][:SHOWN_ERRORS]:
        print(
            f"  line {error['line']} ({error['legacy_id'] or '-'}) {error['field'] or '-'}: "
            f"{error['code']}: {error['message']}"
        )
    if status["invalid"] > SHOWN_ERRORS:
        print(f"  ... every error in the report: {status['report_url']}")
    if status["state"] == "done" and not status["dry_run"] and status["imported"]:
        print(
            f"Logins were made with nothing sent; send the invitations with POST /staff/imports/"
            f"{status['import_id']}/invitations (the console's import page, or curl)."
        )
    return 1 if status["invalid"] or status["state"] != "done" else 0


def main(file: str, *, port: int, dry_run: bool) -> None:
    path = Path(file)
    if not path.is_file():
        sys.exit(f"ccp-local: no file {file}")
    status = ImportClient(port).run(path, dry_run=dry_run)
    print(json.dumps({k: status[k] for k in ("import_id", "imported", "unchanged", "invalid")}))
    sys.exit(report(status))
