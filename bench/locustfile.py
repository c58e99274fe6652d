"""Locust clients for the local stack (bench P5/P6): each simulated user is one member using the portal.

Run by `bench/run.py` (headless, bounded in time and in requests per user); the members and their
tokens come in a JSON file named by BENCH_MEMBERS, the mix in BENCH_MIX (`record` or `mixed`) and
the bound in BENCH_REQUESTS_PER_USER. Every record has its own title, so any 409 is an error.
"""

import itertools
import json
import os
import threading
import uuid
from pathlib import Path

from locust import HttpUser, constant, task
from locust.exception import StopUser

_MEMBERS = json.loads(Path(os.environ["BENCH_MEMBERS"]).read_text(encoding="utf-8"))
_MIX = os.environ.get("BENCH_MIX", "record")
_REQUESTS_PER_USER = int(os.environ.get("BENCH_REQUESTS_PER_USER", "100"))
_next_member = itertools.count()
_finished = itertools.count(1)
_lock = threading.Lock()
_RECORD_ONLY = ("record",)
_MIXED = ("record", "progress", "record", "transcript")


class Member(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        with _lock:
            self.member_id, token = _MEMBERS[next(_next_member) % len(_MEMBERS)]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.kinds = itertools.cycle(_RECORD_ONLY if _MIX == "record" else _MIXED)
        self.sent = 0

    @task
    def next_request(self) -> None:
        if self.sent >= _REQUESTS_PER_USER:
            # The run is bounded in requests: the last user to finish ends it (not the time limit).
            with _lock:
                last = next(_finished) == self.environment.parsed_options.num_users
            if last:
                self.environment.runner.quit()
            raise StopUser()
        self.sent += 1
        kind = next(self.kinds)
        if kind == "record":
            self.client.post(
                f"/members/{self.member_id}/ce-activities",
                name="record",
                headers=self.headers,
                json={
                    "credentials": ["RMA"],
                    "category": "professional_education",
                    "title": f"Client course {uuid.uuid4().hex}",
                    "points": 0.25,
                    "start_date": "2026-11-02",
                    "end_date": "2026-11-02",
                    "attested": True,
                },
            )
        elif kind == "progress":
            self.client.get(f"/members/{self.member_id}/progress", name="progress", headers=self.headers)
        else:
            self.client.get(
                f"/members/{self.member_id}/transcript",
                name="transcript PDF",
                headers={**self.headers, "Accept": "application/pdf"},
            )
