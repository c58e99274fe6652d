"""The whole local stack, as a newcomer starts it: `ccp-local up`, then HTTP, the CLI and boto3."""

import base64
import json
import re

import boto3
import pytest
import requests

from tests.support.local_stack import cli, demo_member, running_stack, token

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("stack") / "up.log") as running:
        yield running


def test_up_prints_where_to_look_and_the_seeded_demo_members(stack):
    text = stack["log"].read_text()
    assert stack["api"] in text and "Demo members" in text and "ccp-local token" in text


def test_a_member_records_ce_over_http_and_sees_progress_and_a_pdf_transcript(stack):
    member_id = demo_member(stack)
    result = cli("token", "--member-id", member_id, "--port", str(stack["api_port"]))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{stack['api']}/members/{member_id}"
    before = requests.get(f"{base}/progress", headers=auth, timeout=30).json()[0]
    body = {
        "credentials": ["RMA"],
        "category": "professional_education",
        "title": "System test course",
        "points": 3.5,
        "start_date": "2026-11-01",
        "end_date": "2026-11-01",
        "attested": True,
    }
    created = requests.post(
        f"{base}/ce-activities", json=body, headers={**auth, "X-Local-Time": "2026-11-20T15:00:00Z"}, timeout=30
    )
    assert created.status_code == 201, created.text
    after = requests.get(f"{base}/progress", headers=auth, timeout=30).json()[0]
    assert after["recorded_points"] == before["recorded_points"] + 3.5
    pdf = requests.get(f"{base}/transcript", headers={**auth, "Accept": "application/pdf"}, timeout=30)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_gateway_verifies_tokens_like_the_cognito_authorizer(stack):
    member_id = demo_member(stack)
    url = f"{stack['api']}/members/{member_id}"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer not.a.token"}, timeout=30).status_code == 401
    other = (
        cli("token", "--member-id", "SOMEONE_ELSE", "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    )
    assert requests.get(url, headers={"Authorization": f"Bearer {other}"}, timeout=30).status_code == 403
    staff = cli("token", "--staff", "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    assert requests.get(url, headers={"Authorization": f"Bearer {staff}"}, timeout=30).status_code == 200


def test_the_lambda_endpoint_works_with_boto3_and_the_openapi_document_is_served(stack):
    client = boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{stack['lambda_port']}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    response = client.invoke(
        FunctionName="CourseCompletedFunction", Payload=json.dumps({"not": "an event"}), LogType="Tail"
    )
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "InvalidEvent"
    assert "InvalidEvent" in base64.b64decode(response["LogResult"]).decode()
    functions = client.list_functions()["Functions"]
    assert {f["Description"] for f in functions} >= {
        "CourseCompletedFunction",
        "RenewalNoticesFunction",
        "PaymentWebhookFunction",
    }
    arn = next(f["FunctionArn"] for f in functions if f["Description"] == "CourseCompletedFunction")
    assert (
        client.get_function(FunctionName=arn)["Configuration"]["Handler"] == "record_ce.course_completed.lambda_handler"
    )
    assert client.invoke(FunctionName=arn, InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="NoSuchFunction")
    document = requests.get(f"{stack['api']}/_local/openapi.json", timeout=30).json()
    assert document["openapi"].startswith("3.1")
    assert "/members/{member_id}/ce-activities" in document["paths"]
    assert requests.get(f"{stack['api']}/_local/outbox", timeout=30).json() == []
    # Swagger UI works offline: the page names only files the stack serves itself.
    page = requests.get(f"{stack['api']}/_local/docs", timeout=30).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/_local/docs/") for a in assets)
    for asset in assets:
        served = requests.get(f"{stack['api']}{asset}", timeout=30)
        assert served.status_code == 200 and len(served.content) > 10_000


def test_renewal_notices_can_be_invoked_for_any_date_and_show_in_the_outbox(stack):
    staff = cli("token", "--staff", "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    body = {
        "first_name": "Rita",
        "last_name": "Renew",
        "email": "rita.renew@example.org",
        "mailing_address": {"line1": "9 Elm St", "city": "Peoria", "state": "IL", "postal_code": "61602"},
        "credentials": [{"code": "RPT", "certified_on": "2025-03-10"}],
    }
    created = requests.post(
        f"{stack['api']}/staff/members",
        json=body,
        headers={"Authorization": f"Bearer {staff}", "X-Local-Time": "2026-12-01T15:00:00Z"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    member_id = created.json()["member_id"]
    result = cli(
        "invoke",
        "RenewalNoticesFunction",
        "--time",
        "2027-03-01T12:00:00Z",
        "--port",
        str(stack["api_port"]),
        "--lambda-port",
        str(stack["lambda_port"]),
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["date"] == "2027-03-01" and summary["invoices_issued"] >= 1
    emails = requests.get(f"{stack['api']}/_local/outbox", timeout=30).json()
    mine = [e for e in emails if "rita.renew@example.org" in e["to"]]
    # The invitation to her login when staff created her, then the renewal notice.
    assert [e["subject"] for e in mine] == [
        "Your Certification Continuation Program login",
        "Your RPT renewal invoice RPT-20270310 is due by 2027-03-31",
    ]
    assert any(path.endswith(".pdf") for path in summary["copied_batches"])
    outbox = cli("outbox", "--port", str(stack["api_port"]))
    assert "rita.renew@example.org" in outbox.stdout and "postal batch" in outbox.stdout
    token = cli("token", "--member-id", member_id, "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    invoices = requests.get(
        f"{stack['api']}/members/{member_id}/invoices",
        headers={"Authorization": f"Bearer {token}", "X-Local-Time": "2027-03-02T15:00:00Z"},
        timeout=30,
    ).json()
    assert [i["invoice_id"] for i in invoices["invoices"]] == ["RPT-20270310"]


# The tests of this module share a stack and its job ledger: their days stay within a few days of
# 2027-03-01, so whatever their order, an invocation catches up a few days at most, not months.


def test_replay_runs_every_daily_job_and_summarizes(stack):
    result = cli(
        "replay",
        "--from",
        "2027-03-01",
        "--to",
        "2027-03-03",
        "--port",
        str(stack["api_port"]),
        "--lambda-port",
        str(stack["lambda_port"]),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Replayed 3 days, 2027-03-01 to 2027-03-03" in result.stdout
    for line in ("invoices issued", "roll-overs", "status changes", "notices by type and channel"):
        assert line in result.stdout


def test_a_member_pays_at_the_local_processor_and_a_refund_undoes_it(stack):
    staff = cli("token", "--staff", "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    body = {
        "first_name": "Pat",
        "last_name": "Lee",
        "email": "pat.lee@example.org",
        "credentials": [{"code": "RPT", "certified_on": "2025-03-20"}],
    }
    created = requests.post(
        f"{stack['api']}/staff/members",
        json=body,
        headers={"Authorization": f"Bearer {staff}", "X-Local-Time": "2026-12-01T15:00:00Z"},
        timeout=30,
    )
    member_id = created.json()["member_id"]
    cli("invoke", "RenewalNoticesFunction", "--time", "2027-03-01T12:00:00Z")  # ports from .ccp-local/state.json
    token = cli("token", "--member-id", member_id).stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}", "X-Local-Time": "2027-03-02T15:00:00Z"}
    base = f"{stack['api']}/members/{member_id}/invoices"

    # A member's own word never pays.
    direct = requests.post(
        f"{base}/RPT-20270320/payments",
        json={"amount": 50, "method": "check", "reference": "1"},
        headers=auth,
        timeout=30,
    )
    assert direct.status_code == 403

    # Checkout, then "Pay" on the processor's hosted page, as a browser would.
    checkout = requests.post(f"{base}/RPT-20270320/checkout", headers=auth, timeout=30)
    assert checkout.status_code == 201, checkout.text
    page = requests.get(checkout.json()["checkout_url"], timeout=30)
    assert "<button" in page.text and ">Pay</button>" in page.text and ">Decline</button>" in page.text
    paid = requests.post(checkout.json()["checkout_url"], data={"action": "pay"}, allow_redirects=False, timeout=60)
    assert paid.status_code == 303 and paid.headers["Location"].startswith(f"{stack['api']}/portal/")
    invoice = requests.get(base, headers=auth, timeout=30).json()["invoices"][0]
    assert invoice["state"] == "paid"
    receipt = requests.get(f"{base}/RPT-20270320/receipt", headers={**auth, "Accept": "application/pdf"}, timeout=30)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")

    # The processor refunds it: unpaid again; paying again with `ccp-local pay` settles it.
    refunded = cli("refund", "RPT-20270320")
    assert refunded.returncode == 0, refunded.stdout + refunded.stderr
    assert requests.get(base, headers=auth, timeout=30).json()["invoices"][0]["state"] == "refunded"
    again = requests.post(f"{base}/RPT-20270320/checkout", headers=auth, timeout=30).json()
    result = cli("pay", again["checkout_id"], "--time", "2027-03-02T15:10:00Z")
    assert result.returncode == 0 and "200" in result.stdout, result.stdout + result.stderr
    invoice = requests.get(base, headers=auth, timeout=30).json()["invoices"][0]
    assert (invoice["state"], invoice["paid_on"]) == ("paid", "2027-03-02")
    receipts = [
        e
        for e in requests.get(f"{stack['api']}/_local/outbox", timeout=30).json()
        if "pat.lee@example.org" in e["to"] and e.get("template", "").endswith("receipt")
    ]
    assert len(receipts) == 2


def test_concurrent_corrections_over_http_never_leave_phantom_points(stack):
    from concurrent.futures import ThreadPoolExecutor

    member_id = demo_member(stack, "James Okafor")
    token = cli("token", "--member-id", member_id).stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}", "X-Local-Time": "2026-11-20T15:00:00Z"}
    base = f"{stack['api']}/members/{member_id}"
    before = requests.get(f"{base}/progress", headers=auth, timeout=30).json()
    body = {
        "credentials": [p["credential"] for p in before][:1],
        "category": "professional_education",
        "title": "Race course",
        "points": 2,
        "start_date": "2026-11-02",
        "end_date": "2026-11-02",
        "attested": True,
    }
    created = requests.post(f"{base}/ce-activities", json=body, headers=auth, timeout=30)
    assert created.status_code == 201, created.text
    activity = f"{base}/ce-activities/{created.json()['activity_id']}"

    def correct(points):
        return requests.patch(activity, json={"points": points, "attested": True}, headers=auth, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(correct, [5, 10, 20, 40, 60, 80, 90, 99]))
    assert set(statuses) <= {200, 503}, statuses  # applied on fresh data, or "try again": never on stale data
    assert requests.delete(activity, headers=auth, timeout=30).status_code == 204
    after = requests.get(f"{base}/progress", headers=auth, timeout=30).json()
    assert [p["recorded_points"] for p in after] == [p["recorded_points"] for p in before]


def test_a_course_completed_event_put_on_embedded_eventbridge_reaches_the_function(stack):
    import time

    member_id = demo_member(stack, "Maria Santos")
    state = json.loads((stack["log"].parent / "state.json").read_text())  # this stack's own (running_stack)
    events = boto3.client(
        "events",
        endpoint_url=state["aws_endpoint"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    detail = {
        "completion_id": "lms-system-1",
        "member_id": member_id,
        "course_title": "EventBridge course",
        "points": 1.5,
        "completed_on": "2026-11-10",
    }
    answer = events.put_events(
        Entries=[{"Source": "ccp.courses", "DetailType": "CourseCompleted", "Detail": json.dumps(detail)}]
    )
    assert answer["FailedEntryCount"] == 0
    token = cli("token", "--member-id", member_id).stdout.strip().splitlines()[-1]
    for _ in range(50):
        listed = requests.get(
            f"{stack['api']}/members/{member_id}/ce-activities",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        if any(a["title"] == "EventBridge course" for a in listed["activities"]):
            break
        time.sleep(0.2)
    assert [a["source"] for a in listed["activities"] if a["title"] == "EventBridge course"] == ["course_platform"]


def test_ccp_local_import_checks_then_imports_a_file_with_a_progress_bar_and_reports_each_bad_line(stack):
    """The worked example of docs/import.md: five members and one line whose fee does not match."""
    dry = cli("import", "docs/import-example.jsonl", "--dry-run")
    assert dry.returncode == 1, dry.stderr  # a line was invalid
    assert "6 lines, 5 would be imported, 0 unchanged, 1 invalid" in dry.stdout
    assert "line 6 (AMT-100999) payments.0: AMOUNT_MISMATCH" in dry.stdout
    assert "6/6" in dry.stderr  # the progress bar reached every line

    done = cli("import", "docs/import-example.jsonl")
    assert "5 imported, 0 unchanged, 1 invalid" in done.stdout, done.stdout + done.stderr
    again = cli("import", "docs/import-example.jsonl")
    assert "0 imported, 5 unchanged, 1 invalid" in again.stdout

    from imports.member_import import member_id_for

    lapsed = member_id_for("AMT-099120")
    progress = requests.get(
        f"{stack['api']}/members/{lapsed}/progress", headers={"Authorization": f"Bearer {token(stack)}"}, timeout=30
    ).json()
    assert [(p["credential"], p["status"], p["cycle_start"]) for p in progress] == [
        ("RPT", "must_recertify", "2020-08-04")
    ]
