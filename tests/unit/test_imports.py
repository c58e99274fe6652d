"""An import over in-memory ports: a file's lines checked, replayed through the program's use cases and
written; bad lines reported and writing nothing; a dry run writing nothing; the same file again
changing nothing; chunks counted once; invitations sent in batches, each member once."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from ccp.data.scratch import InMemoryStore
from ccp.rules.versions import default_rule_book
from imports.member_import import MemberImport, member_id_for
from imports.replay import Replay, at
from imports.service import CHUNK_LINES, Imports
from record_ce.reading import MemberReading
from tests.support.fakes import InMemoryEvents
from tests.support.import_fakes import (
    InMemoryImportedMembers,
    InMemoryImportFiles,
    InMemoryImportRecords,
    InMemoryLogins,
    InMemoryQueue,
)

IMPORT_DAY = date(2026, 12, 2)


class Body:
    """A program's store with the import's ports around it."""

    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.records = InMemoryImportRecords()
        self.files = InMemoryImportFiles()
        self.queue = InMemoryQueue()
        self.members = InMemoryImportedMembers(self.store)
        self.events = InMemoryEvents()
        self.logins = InMemoryLogins()
        lines = MemberImport(self.members, Replay(default_rule_book()), self.events, self.logins)
        self.imports = Imports(self.records, self.files, self.queue, lines, self.logins)

    def run(self, lines: list[dict | str], *, dry_run: bool = False, gzipped: bool = False, day: date = IMPORT_DAY):
        record, _ = self.imports.create(dry_run=dry_run, staff="staff-1", now=at(day, 9))
        text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode() + b"\n"
        self.files.objects[record.file_key] = gzip.compress(text) if gzipped else text
        self.imports.start(record.import_id, now=at(day, 9))
        self.drain()
        return self.imports.view(record.import_id)

    def drain(self) -> None:
        while self.queue.messages:
            self.imports.work(self.queue.messages.pop(0))

    def reading(self) -> MemberReading:
        return MemberReading(self.store, self.store, self.store, default_rule_book())


def member_line(legacy_id: str, **overrides) -> dict:
    """A medical assistant certified 2015-05-20, fees paid every year, 30 points in the open cycle."""
    line = {
        "legacy_id": legacy_id,
        "first_name": "Rosa",
        "last_name": "Diaz",
        "email": f"{legacy_id.lower()}@example.org",
        "credentials": [{"code": "RMA", "certified_on": "2015-05-20"}],
        "activities": [
            {
                "credentials": ["RMA"],
                "category": "professional_education",
                "title": "Infection control",
                "points": 30,
                "start_date": "2025-09-01",
                "end_date": "2025-09-01",
            }
        ],
        "payments": [
            {
                "credential": "RMA",
                "anniversary": f"{year}-05-20",
                "amount": "50.00",
                "paid_on": f"{year}-05-03",
                "method": "check",
                "reference": f"{legacy_id}-{year}",
            }
            for year in range(2016, 2027)
        ],
    }
    return {**line, **overrides}


def december_line(legacy_id: str) -> dict:
    """Certified 2015-12-10, fees paid through 2025: the run of 1 December 2026 issues their invoice and
    tells them, the day before an import on the 2nd."""
    payments = [
        {
            "credential": "RMA",
            "anniversary": f"{year}-12-10",
            "amount": "50.00",
            "paid_on": f"{year}-12-03",
            "method": "check",
            "reference": f"{legacy_id}-{year}",
        }
        for year in range(2016, 2026)
    ]
    return member_line(legacy_id, credentials=[{"code": "RMA", "certified_on": "2015-12-10"}], payments=payments)


def test_the_notices_of_the_days_a_daily_job_has_still_to_do_are_kept_as_sent_and_no_others():
    behind, up_to_date = Body(), Body()
    behind.store.finished("renewal_notices", date(2026, 11, 20), at(date(2026, 11, 20), 6))
    up_to_date.store.finished("renewal_notices", date(2026, 12, 1), at(date(2026, 12, 1), 6))
    for body in (behind, up_to_date):
        assert body.run([december_line("J-1")]).record.imported == 1
    kept = [c for c in behind.store.claims.values() if c.member_id == member_id_for("J-1")]
    # The notice the replay's run of 1 December claimed, and none of the years before.
    assert [(c.kind, c.period, c.channel, c.state) for c in kept] == [("renewal_due", "2026-12", "email", "sent")]
    assert not [c for c in up_to_date.store.claims.values() if c.member_id == member_id_for("J-1")]


def test_an_import_writes_each_good_line_as_the_program_would_hold_it_and_reports_each_bad_one():
    body = Body()
    bad_amount = member_line("B-2")
    bad_amount["payments"][-1]["amount"] = "45.00"
    view = body.run([member_line("A-1"), "{not json", member_line("C-3", email="no-at-sign"), bad_amount])

    assert view.record.state == "done"
    assert (view.record.lines, view.record.imported, view.record.unchanged, view.record.invalid) == (4, 1, 0, 3)
    assert [(e["line"], e["legacy_id"], e["field"], e["code"]) for e in view.errors] == [
        (2, None, "", "MALFORMED_LINE"),
        (3, "C-3", "email", "INVALID_FIELD"),
        (4, "B-2", "payments.10", "AMOUNT_MISMATCH"),
    ]
    report = list(csv.DictReader(io.StringIO(body.files.objects[view.record.report_key].decode())))
    assert [row["line"] for row in report] == ["2", "3", "4"]

    member_id = member_id_for("A-1")
    assert set(body.store.profiles) == {member_id}  # a bad line writes nothing of its member
    view_of_member = body.reading().member(member_id, IMPORT_DAY)
    assert view_of_member.statuses == {"RMA": "active"}
    [credential] = body.store.credentials(member_id)
    # The cycle of 2024-05-20 is open (its closing fee of 2027 is not due yet); the 2025 points are in it.
    assert (credential.cycle_start, credential.met_on) == (date(2024, 5, 20), date(2025, 9, 1))
    invoices = {i.invoice_id: (i.state, i.paid_on) for i in body.store.member_state(member_id).invoices}
    assert invoices == {"RMA-20250520": ("paid", date(2025, 5, 3)), "RMA-20260520": ("paid", date(2026, 5, 3))}
    # Fees of the cycles the old system closed are kept as payments, never invoices.
    assert len(body.store.payments_of(member_id)) == 11
    assert body.logins.quiet == {member_id: "a-1@example.org"} and body.logins.invitations == []
    assert body.events.published == [("CredentialImported", {"member_id": member_id, "credential": "RMA"})]


def test_a_dry_run_reports_the_same_and_writes_nothing():
    body = Body()
    bad = member_line("B-2", credentials=[{"code": "RMA", "certified_on": "2030-01-01"}])
    view = body.run([member_line("A-1"), bad], dry_run=True)
    assert (view.record.imported, view.record.invalid) == (1, 1)
    assert view.errors[0]["code"] == "FUTURE_DATE"
    assert body.store.profiles == {} and body.logins.quiet == {} and body.events.published == []


def test_the_same_file_imported_again_is_unchanged_line_by_line_and_writes_nothing():
    body = Body()
    lines = [member_line("A-1"), member_line("B-2")]
    first = body.run(lines)
    held = body.store.member_state(member_id_for("A-1"))
    again = body.run(lines, day=date(2026, 12, 9))
    assert (first.record.imported, again.record.imported, again.record.unchanged) == (2, 0, 2)
    assert body.members.writes == 2
    assert body.store.member_state(member_id_for("A-1")) == held


def test_a_person_the_program_knows_is_not_imported_twice():
    body = Body()
    body.run([member_line("A-1")])
    changed = member_line("A-1", last_name="Diaz-Ortiz")
    same_email = member_line("Z-9", email="a-1@example.org")
    view = body.run([changed, same_email])
    assert [(e["line"], e["field"], e["code"]) for e in view.errors] == [
        (1, "legacy_id", "MEMBER_EXISTS"),
        (2, "email", "MEMBER_EXISTS"),
    ]
    assert member_id_for("A-1") in view.errors[0]["message"]


def test_a_chunk_delivered_twice_is_counted_once_and_a_gzipped_file_reads_the_same():
    body = Body()
    lines = [member_line(f"L-{n}", activities=[], payments=[]) for n in range(CHUNK_LINES + 5)]
    record, _ = body.imports.create(dry_run=True, staff="staff-1", now=at(IMPORT_DAY, 9))
    body.files.objects[record.file_key] = gzip.compress("\n".join(json.dumps(x) for x in lines).encode())
    body.imports.start(record.import_id, now=at(IMPORT_DAY, 9))
    body.imports.work(body.queue.messages.pop(0))  # the split
    chunks = list(body.queue.messages)
    assert [c["first_line"] for c in chunks] == [1, CHUNK_LINES + 1]
    body.queue.messages += chunks  # every chunk delivered twice
    body.drain()
    view = body.imports.view(record.import_id)
    assert (view.record.state, view.record.lines, view.record.imported) == ("done", CHUNK_LINES + 5, CHUNK_LINES + 5)


def test_invitations_go_in_batches_each_member_once_and_only_after_a_real_import(monkeypatch):
    monkeypatch.setattr("imports.service.INVITATIONS_A_MESSAGE", 2)  # a page of two: the rest goes on
    body = Body()
    dry = body.run([member_line("A-1")], dry_run=True)
    with pytest.raises(Exception, match="finished import"):
        body.imports.invite(dry.record.import_id)
    view = body.run([member_line(f"I-{n}", activities=[], payments=[]) for n in range(5)])
    assert body.imports.invite(view.record.import_id, limit=2) == 2
    body.drain()
    assert len(body.logins.invitations) == 2
    assert body.imports.invite(view.record.import_id) == 3
    body.queue.messages *= 2  # delivered twice
    body.drain()
    assert sorted(body.logins.invitations) == sorted(member_id_for(f"I-{n}") for n in range(5))
    assert body.imports.invite(view.record.import_id) == 0
    assert body.records.get(view.record.import_id).invitations_sent == 5


def test_a_lapsed_member_is_held_in_the_cycle_they_lapsed_in_and_a_reinstated_one_from_their_reinstatement():
    body = Body()
    lapsed = member_line("LAP-1", activities=[])
    lapsed["payments"] = [p for p in lapsed["payments"] if p["anniversary"] < "2021-01-01"]  # none since 2020
    reinstated = member_line(
        "REI-1",
        activities=[],
        payments=[],
        reinstatements=[{"credential": "RMA", "path": "exam", "reinstated_on": "2026-03-10"}],
    )
    view = body.run([lapsed, reinstated])
    assert view.record.imported == 2, view.errors
    [lapsed_credential] = body.store.credentials(member_id_for("LAP-1"))
    # 2018-05-20 .. 2021-05-19 closed without its 2021 fee: inactive from the fee's due date, then 3 years.
    assert (lapsed_credential.cycle_start, lapsed_credential.status) == (date(2018, 5, 20), "must_recertify")
    [back] = body.store.credentials(member_id_for("REI-1"))
    assert (back.cycle_start, back.anchor, back.status, back.grandfathered) == (
        date(2026, 3, 10),
        date(2026, 3, 10),
        "active",
        False,
    )
    assert Decimal(0) == sum(back.recorded.values(), Decimal(0))


def test_a_history_begins_with_the_first_cycle_the_old_system_did_not_close():
    from ccp.rules.history import history_start

    fees = [date(year, 5, 20) for year in range(2016, 2027)]
    assert history_start(date(2015, 5, 20), fees, IMPORT_DAY, 3) == date(2024, 5, 20)
    # The 2021 fee (closing the cycle of 2018) never paid: the record begins in that cycle.
    assert history_start(date(2015, 5, 20), [f for f in fees if f.year != 2021], IMPORT_DAY, 3) == date(2018, 5, 20)
    # A 29 February chain closes on 28 February; its fee of a leap year (29 February) is the next cycle's.
    leap = [date(y, 2, 28 + (y % 4 == 0)) for y in range(2005, 2027)]
    assert history_start(date(2004, 2, 29), leap, IMPORT_DAY, 3) == date(2025, 2, 28)


def test_the_runs_are_replayed_on_every_day_they_could_change_a_record_and_only_then():
    from ccp.rules.history import days_the_runs_matter

    runs = days_the_runs_matter(
        date(2026, 1, 10),
        date(2026, 4, 1),
        anniversary_months={2},
        deadlines=[date(2026, 2, 14)],
        lapse_years=[3],
        member_days=[date(2026, 3, 5)],
    )
    assert runs == {
        date(2026, 2, 1): {"invoice_unlock", "renewal_notices"},  # February's invoices are issued
        date(2026, 2, 15): {"status_sweep"},  # the day after the cycle ended
        date(2026, 3, 1): {"status_sweep"},  # the day after February's invoices fell due
        date(2026, 3, 6): {"invoice_unlock"},  # the day after the member's points
    }
    lapse = days_the_runs_matter(
        date(2023, 1, 1), date(2026, 3, 1), anniversary_months={1}, deadlines=[], lapse_years=[3], member_days=[]
    )
    assert "status_sweep" in lapse[date(2026, 2, 1)]  # January 2023's due date, three years on


def test_a_chunk_cut_short_after_its_member_was_written_finishes_their_login_and_badge_when_delivered_again():
    body = Body()
    real, failures = body.logins.create_quietly, [TimeoutError("Cognito did not answer")]

    def flaky(member_id: str, email: str) -> None:
        if failures:
            raise failures.pop()
        real(member_id, email)

    body.logins.create_quietly = flaky  # type: ignore[method-assign]
    record, _ = body.imports.create(dry_run=False, staff="staff-1", now=at(IMPORT_DAY, 9))
    body.files.objects[record.file_key] = json.dumps(member_line("A-1")).encode()
    body.imports.start(record.import_id, now=at(IMPORT_DAY, 9))
    body.imports.work(body.queue.messages.pop(0))  # the split
    [chunk] = body.queue.messages
    with pytest.raises(TimeoutError):
        body.imports.work(chunk)  # the member is written, then the worker fails
    body.imports.work(chunk)  # the queue delivers it again
    view = body.imports.view(record.import_id)
    assert (view.record.state, view.record.imported, view.record.unchanged) == ("done", 1, 0)
    assert body.logins.quiet == {member_id_for("A-1"): "a-1@example.org"}
    assert [kind for kind, _ in body.events.published] == ["CredentialImported"]


def test_a_file_that_cannot_be_read_fails_the_import_with_the_reason_and_writes_nothing():
    body = Body()
    record, _ = body.imports.create(dry_run=False, staff="staff-1", now=at(IMPORT_DAY, 9))
    body.files.objects[record.file_key] = b"\x1f\x8b" + b"not really gzip"
    body.imports.start(record.import_id, now=at(IMPORT_DAY, 9))
    body.drain()
    view = body.imports.view(record.import_id)
    assert (view.record.state, view.record.lines, view.record.imported) == ("failed", 0, 0)
    assert "could not be read" in (view.record.failure or "")
    assert body.store.profiles == {}
