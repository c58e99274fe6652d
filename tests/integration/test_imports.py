"""An import over the deployed template (embedded AWS): staff make it, upload the file by its presigned
POST, start it; the import queue's worker splits and imports; staff follow it, read the report, and send
the invitations in batches. Ten generated histories imported here read back, through the table's own
repositories, as the same histories lived day by day in the program (tests/unit/test_import_equivalence)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import date

import boto3
import pytest
import requests
from hypothesis import HealthCheck, given, settings

from ccp.data.activities import ActivityRepository
from ccp.data.dynamo import table
from ccp.data.logins import MemberLogins
from ccp.data.members import MemberDirectory, MemberRepository
from ccp_local.events import member_claims, staff_claims
from ccp_local.inprocess import deployed_stack
from imports.lines import ImportLine
from imports.member_import import member_id_for
from record_ce.reading import MemberReading
from tests.integration.renewal_helpers import chicago
from tests.unit.test_import_equivalence import BOOK, histories, lived, seen_by_the_portal
from tests.unit.test_imports import december_line, member_line

IMPORTS = "imports.handler.lambda_handler"
EXAMPLE_NUMBERS = itertools.count()
RECORD_CE = "record_ce.handler.lambda_handler"


@pytest.fixture(scope="module")
def stack():
    with deployed_stack() as deployed:
        yield deployed


def run_import(stack, lines: list[str], *, dry_run: bool = False, at: str = "2026-12-02T09:00") -> dict:
    created = stack.api(
        IMPORTS,
        "POST",
        "/staff/imports",
        "/staff/imports",
        claims=staff_claims(),
        body={"dry_run": dry_run},
        at=chicago(at),
    )
    assert created["statusCode"] == 201, created
    made = created["json"]
    upload = made["upload"]
    sent = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("members.jsonl", "\n".join(lines))}, timeout=30
    )
    assert sent.status_code in (200, 201, 204), sent.text
    import_id = made["import_id"]
    path = f"/staff/imports/{import_id}"
    started = stack.api(
        IMPORTS,
        "POST",
        "/staff/imports/{import_id}/start",
        f"{path}/start",
        claims=staff_claims(),
        at=chicago(at),
    )
    assert started["statusCode"] == 202, started
    assert started["json"]["state"] == "running"
    stack.drain_imports()
    status = stack.api(
        IMPORTS,
        "GET",
        "/staff/imports/{import_id}",
        path,
        claims=staff_claims(),
        at=chicago(at),
    )
    assert status["statusCode"] == 200, status
    return status["json"]


def test_staff_import_a_file_read_its_report_and_send_the_invitations_in_batches_each_once(stack, monkeypatch):
    bad = member_line("B-2")
    bad["payments"][-1]["amount"] = "45.00"
    good = [json.dumps(member_line(f"G-{n}")) for n in range(3)]
    dry = run_import(stack, [*good, json.dumps(bad)], dry_run=True)
    assert (dry["state"], dry["lines"], dry["imported"], dry["invalid"]) == ("done", 4, 3, 1)
    reading = MemberReading(MemberRepository(table()), ActivityRepository(table()), MemberDirectory(table()), BOOK)
    assert not MemberRepository(table()).member_exists(member_id_for("G-0"))  # a dry run writes nothing

    done = run_import(stack, [*good, json.dumps(bad)])
    assert (done["imported"], done["unchanged"], done["invalid"]) == (3, 0, 1)
    assert [(e["line"], e["legacy_id"], e["field"], e["code"]) for e in done["errors"]] == [
        (4, "B-2", "payments.10", "AMOUNT_MISMATCH")
    ]
    report = requests.get(done["report_url"], timeout=30)
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["line"], r["code"]) for r in rows] == [("4", "AMOUNT_MISMATCH")]

    member_id = member_id_for("G-0")
    seen = stack.api(
        RECORD_CE,
        "GET",
        "/members/{member_id}",
        f"/members/{member_id}",
        claims=member_claims(member_id),
        at=chicago("2026-12-02T10:00"),
    )
    assert seen["statusCode"] == 200, seen
    assert seen["json"]["credentials"][0]["status"] == "active"
    assert reading.member(member_id, date(2026, 12, 2)).statuses == {"RMA": "active"}
    pool = boto3.client("cognito-idp")
    login = pool.admin_get_user(UserPoolId=MemberLogins_pool(), Username=member_id)
    assert login["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # made quietly: nothing sent at import

    # The template's rule carries the import's badge events to the badge worker: one badge a member
    # (each has been through roll-overs), in the cycle they hold.
    credly = stack.start_credly()
    stack.drain_badges()
    issued = {b["issuer_earner_id"].split(":")[0] for b in credly.badges.values()}
    assert {member_id_for(f"G-{n}") for n in range(3)} <= issued
    assert MemberRepository(table()).member_state(member_id).credentials[0].badge_id

    again = run_import(stack, [*good, json.dumps(bad)], at="2026-12-03T09:00")
    assert (again["imported"], again["unchanged"], again["invalid"]) == (0, 3, 1)

    invited: list[str] = []
    real = MemberLogins.send_invitation
    monkeypatch.setattr(MemberLogins, "send_invitation", lambda self, m: (invited.append(m), real(self, m))[1])
    import_id = done["import_id"]
    path = f"/staff/imports/{import_id}/invitations"

    def invite(limit=None):
        body = {"limit": limit} if limit else {}
        response = stack.api(
            IMPORTS,
            "POST",
            "/staff/imports/{import_id}/invitations",
            path,
            claims=staff_claims(),
            body=body,
        )
        assert response["statusCode"] == 202, response
        stack.drain_imports()
        return response["json"]["queued"]

    assert invite(limit=2) == 2 and len(invited) == 2
    assert invite() == 1 and invite() == 0
    assert sorted(invited) == sorted(member_id_for(f"G-{n}") for n in range(3))
    # An invited login is the same login: it still signs in with its email and carries its member id.
    idp = boto3.client("cognito-idp")
    for n in range(3):
        login = idp.admin_get_user(UserPoolId=MemberLogins_pool(), Username=member_id_for(f"G-{n}"))
        attributes = {a["Name"]: a["Value"] for a in login["UserAttributes"]}
        assert (login["UserStatus"], attributes["custom:member_id"]) == (
            "FORCE_CHANGE_PASSWORD",
            member_id_for(f"G-{n}"),
        )
        assert attributes["email"] == f"g-{n}@example.org" and attributes["email_verified"] == "true"


def MemberLogins_pool() -> str:
    import os

    return os.environ["USER_POOL_ID"]


def test_imports_are_for_staff_only_and_a_file_must_be_there_before_the_start(stack):
    refused = stack.api(
        IMPORTS, "POST", "/staff/imports", "/staff/imports", claims=member_claims("M-1"), body={"dry_run": True}
    )
    assert refused["statusCode"] == 403
    made = stack.api(IMPORTS, "POST", "/staff/imports", "/staff/imports", claims=staff_claims(), body={"dry_run": True})
    import_id = made["json"]["import_id"]
    early = stack.api(
        IMPORTS,
        "POST",
        "/staff/imports/{import_id}/start",
        f"/staff/imports/{import_id}/start",
        claims=staff_claims(),
    )
    assert (early["statusCode"], early["json"]["error"]["code"]) == (409, "IMPORT_FILE_MISSING")
    unknown = stack.api(
        IMPORTS,
        "GET",
        "/staff/imports/{import_id}",
        "/staff/imports/20261202000000-00000000",
        claims=staff_claims(),
    )
    assert (unknown["statusCode"], unknown["json"]["error"]["code"]) == (404, "IMPORT_NOT_FOUND")


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(history=histories())
def test_ten_histories_imported_over_the_local_stack_read_back_as_the_same_histories_lived(stack, history):
    text, import_day = history
    legacy_id = f"EQ-{next(EXAMPLE_NUMBERS)}"  # one person each (the stack lives through the examples)
    raw = json.loads(text)
    for payment in raw["payments"]:  # a processor's reference is used once across the whole body
        payment["reference"] = f"{legacy_id}-{payment['reference']}"
    text = json.dumps({**raw, "legacy_id": legacy_id, "email": f"{legacy_id.lower()}@example.org"})
    line = ImportLine.model_validate_json(text)
    done = run_import(stack, [text], at=f"{import_day.isoformat()}T09:00")
    by_life, refused, _ = lived(line, import_day)
    if refused:
        assert [e["code"] for e in done["errors"]] == [refused]
        return
    assert done["imported"] == 1, done["errors"]
    member_id = member_id_for(legacy_id)
    t = table()
    reading = MemberReading(MemberRepository(t), ActivityRepository(t), MemberDirectory(t), BOOK)
    stored = seen_by_the_portal(reading, MemberRepository(t), ActivityRepository(t), member_id, import_day)
    expected = seen_by_the_portal(
        MemberReading(by_life, by_life, by_life, BOOK), by_life, by_life, member_id, import_day
    )
    assert stored == expected


def test_a_member_who_chose_a_password_before_the_invitations_is_not_invited_and_the_batch_goes_on(stack):
    done = run_import(stack, [json.dumps(member_line(f"P-{n}")) for n in range(2)])
    assert done["imported"] == 2
    idp, pool = boto3.client("cognito-idp"), MemberLogins_pool()
    early, waiting = member_id_for("P-0"), member_id_for("P-1")
    # "Forgot password" with the email they were imported with: they sign in already.
    idp.admin_set_user_password(UserPoolId=pool, Username=early, Password="Own-Passw0rd!", Permanent=True)
    path = f"/staff/imports/{done['import_id']}"
    queued = stack.api(
        IMPORTS, "POST", "/staff/imports/{import_id}/invitations", f"{path}/invitations", claims=staff_claims(), body={}
    )
    assert queued["json"]["queued"] == 2
    stack.drain_imports()
    status = stack.api(IMPORTS, "GET", "/staff/imports/{import_id}", path, claims=staff_claims())["json"]
    assert status["invitations_sent"] == 2  # both done: the batch did not stop at the one who needs none
    assert idp.admin_get_user(UserPoolId=pool, Username=early)["UserStatus"] == "CONFIRMED"  # their password stays
    assert idp.admin_get_user(UserPoolId=pool, Username=waiting)["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_a_daily_job_behind_at_the_import_catches_up_without_telling_imported_members_of_days_before_it(stack):
    """Imported on 2026-12-02 with the renewal run last done on 2026-11-20: catching up 21 November to
    1 December, the run finds the renewal notice of 1 December (their invoice's issue day) already
    claimed by the import's replay, and sends nothing of a day before the import."""
    from ccp.data.job_days import JobDays

    line = december_line("J-1")
    JobDays(table(for_jobs=True)).finished("renewal_notices", date(2026, 11, 20), chicago("2026-11-20T06:00"))
    assert run_import(stack, [json.dumps(line)])["imported"] == 1
    member_id = member_id_for("J-1")
    invoices = stack.api(
        "renewals.billing_api.lambda_handler",
        "GET",
        "/members/{member_id}/invoices",
        f"/members/{member_id}/invoices",
        claims=member_claims(member_id),
        at=chicago("2026-12-02T10:00"),
    )["json"]["invoices"]
    assert [(i["invoice_id"], i["state"]) for i in invoices if i["state"] == "open"] == [("RMA-20261210", "open")]

    caught_up = stack.job("renewal_notices", chicago("2026-12-01T06:00"), catch_up=True)
    assert caught_up["days_done"][0] == "2026-11-21" and caught_up["days_done"][-1] == "2026-12-01"
    assert [e["subject"] for e in stack.emails() if "j-1@example.org" in e["to"]] == []
