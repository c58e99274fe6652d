"""The staff console in a real browser (Debian's Chromium, Playwright) against `ccp-local up`: find
a member and open their record, record a cheque and approve an application, re-drive notices parked
by a real failed send, void an invoice, import members and invite them; axe-core on every page."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import requests

from tests.support.browser import Portal, chromium
from tests.support.local_stack import cli, running_stack, token

pytestmark = pytest.mark.system
PASSWORD = "Local-Passw0rd!"
SENDER = "notices@ccp.localhost"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("console") / "up.log", demo_members=3) as running:
        running["aws"] = re.search(r"Embedded AWS\s+(\S+)", running["log"].read_text(errors="replace")).group(1)
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def console(browser, stack, local_time=None):
    return Portal.open(browser, stack["api"], local_time=local_time, path="portal/staff/")


def embedded(stack, service):
    """A client of the running stack's embedded AWS (what an operator's console would reach in AWS)."""
    return boto3.client(
        service,
        endpoint_url=stack["aws"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def staff_login(stack, username, member_id):
    """A second staff user, who is also member `member_id` (the staff pool's custom:member_id)."""
    idp = embedded(stack, "cognito-idp")
    pool = next(p["Id"] for p in idp.list_user_pools(MaxResults=10)["UserPools"] if p["Name"].endswith("-staff"))
    idp.admin_create_user(
        UserPoolId=pool,
        Username=username,
        UserAttributes=[{"Name": "custom:member_id", "Value": member_id}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=PASSWORD, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="staff")


def staff_sign_in(portal, username="staff"):
    page = portal.page
    page.goto(portal.url)
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    portal.expect(page.get_by_role("heading", level=1)).to_have_text("Find a member")
    return page


def create_member(stack, at, **body):
    headers = {"Authorization": f"Bearer {token(stack)}", "X-Local-Time": at}
    created = requests.post(f"{stack['api']}/staff/members", json=body, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()["member_id"]


def as_member(stack, member_id, at):
    member = cli("token", "--member-id", member_id, "--port", str(stack["api_port"])).stdout.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {member}", "X-Local-Time": at}


def find_and_open(portal, query, name):
    page = portal.page
    page.get_by_label("Member ID, email or last name").fill(query)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name).click()
    portal.expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page


def test_staff_find_a_member_by_last_name_and_open_their_record(stack, browser):
    with console(browser, stack) as portal:
        page = staff_sign_in(portal)
        portal.check_accessibility("console: find")
        find_and_open(portal, "oka", "James Okafor")
        credentials = page.get_by_role("region", name="Credentials")
        portal.expect(credentials.get_by_role("row").filter(has_text="MLS")).to_contain_text("active")
        portal.expect(credentials.get_by_role("row").filter(has_text="MLT")).to_be_visible()
        portal.expect(page.get_by_role("region", name="CE activities")).to_contain_text("Molecular biology")
        portal.expect(page.get_by_role("region", name="History")).to_contain_text("recorded CE 'Molecular biology")
        portal.check_accessibility("console: member record")
        for link, heading in (("Audits", re.compile("Audits of")), ("Parked payments", "Parked payments")):
            page.get_by_role("navigation", name="Console").get_by_role("link", name=link, exact=True).click()
            portal.expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            portal.check_accessibility(f"console: {link}")


def test_staff_record_a_cheque_for_the_fee_then_approve_the_application(stack, browser):
    applied_at = "2028-06-01T15:00:00Z"
    member_id = create_member(
        stack,
        "2022-06-01T15:00:00Z",
        first_name="Lena",
        last_name="Lapsed",
        email="lena.lapsed@example.org",
        credentials=[{"code": "RMA", "certified_on": "2019-05-10"}],
    )
    member = as_member(stack, member_id, applied_at)
    base = f"{stack['api']}/members/{member_id}"
    document = requests.post(
        f"{base}/documents",
        json={"purpose": "recertification", "content_type": "application/pdf", "filename": "c.pdf", "size_bytes": 20},
        headers=member,
        timeout=30,
    ).json()
    upload = document["upload"]
    files = {"file": ("c.pdf", b"%PDF-1.4 proof", "application/pdf")}
    assert requests.post(upload["url"], data=upload["fields"], files=files, timeout=30).ok
    application = {
        "credential": "RMA",
        "path": "ccp",
        "felony_conviction": False,
        "attested": True,
        "document_ids": [document["document_id"]],
        "activities": [
            {
                "category": "formal_education",
                "title": "Anatomy (2 semester credits)",
                "points": 30,
                "start_date": "2027-01-10",
                "end_date": "2027-05-01",
            }
        ],
    }
    applied = requests.post(f"{base}/recertifications", json=application, headers=member, timeout=30).json()
    assert applied["state"] == "awaiting_payment", applied

    with console(browser, stack, local_time=applied_at) as portal:
        page = staff_sign_in(portal)
        find_and_open(portal, "lapsed", "Lena Lapsed")
        fee = page.get_by_role("region", name="Invoices").get_by_role("row").filter(has_text=applied["fee_invoice_id"])
        fee.get_by_text("Record a cheque").click()
        form = fee.get_by_role("form", name=f"Record a payment for {applied['fee_invoice_id']}")
        portal.expect(form.get_by_label("Amount")).to_have_value("75")
        form.get_by_label("Cheque or money order number").fill("104233")
        form.get_by_role("button", name="Record payment").click()
        portal.expect(page.get_by_role("status")).to_contain_text(f"Payment recorded for {applied['fee_invoice_id']}")
        portal.expect(page.get_by_role("region", name="Payments")).to_contain_text("check")

    # Lena also works for the body: her staff login names her member id, and her case is not hers to decide.
    staff_login(stack, "lena.staff", member_id)
    with console(browser, stack, local_time=applied_at) as portal:
        page = staff_sign_in(portal, "lena.staff")
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Applications").click()
        card = page.get_by_role("region", name=f"Application {applied['application_id']}")
        card.get_by_role("button", name="Approve").click()
        portal.expect(card.get_by_role("alert")).to_contain_text("cannot decide their own case")

    with console(browser, stack, local_time=applied_at) as portal:
        page = staff_sign_in(portal)
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Applications").click()
        card = page.get_by_role("region", name=f"Application {applied['application_id']}")
        portal.expect(card).to_contain_text("submitted")
        portal.check_accessibility("console: applications")
        card.get_by_label("Note").fill("transcript checked against the registrar")
        card.get_by_role("button", name="Approve").click()
        portal.expect(page.get_by_role("status")).to_contain_text(f"{applied['application_id']}: approved")

    with console(browser, stack, local_time=applied_at) as portal:
        page = staff_sign_in(portal)
        find_and_open(portal, member_id, "Lena Lapsed")
        portal.expect(page.get_by_role("region", name="Applications")).to_contain_text("reinstated")
        history = page.get_by_role("region", name="History")
        portal.expect(history).to_contain_text("transcript checked against the registrar")
        portal.expect(history).to_contain_text(f"(check) for {applied['fee_invoice_id']}")


def test_staff_re_drive_notices_parked_by_a_failed_send_and_void_an_invoice(stack, browser):
    create_member(
        stack,
        "2026-12-01T15:00:00Z",
        first_name="Nils",
        last_name="Parker",
        email="nils.parker@example.org",
        credentials=[{"code": "RPT", "certified_on": "2025-04-10"}],
    )
    ses = embedded(stack, "ses")
    ses.delete_identity(Identity=SENDER)  # every send fails now (SES refuses an unverified sender)
    ports = ("--port", str(stack["api_port"]), "--lambda-port", str(stack["lambda_port"]))
    for minute in range(0, 5 * 16, 16):  # five runs, each after the last one's claims went stale
        ran = cli(
            "invoke",
            "RenewalNoticesFunction",
            "--time",
            f"2027-04-01T{12 + minute // 60}:{minute % 60:02d}:00Z",
            *ports,
        )
        assert ran.returncode == 0, ran.stderr
    ses.verify_email_identity(EmailAddress=SENDER)  # the cause fixed

    with console(browser, stack, local_time="2027-04-01T14:00:00Z") as portal:
        page = staff_sign_in(portal)
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Parked notices").click()
        row = page.get_by_role("row").filter(has_text="Nils Parker")
        portal.expect(row).to_contain_text("MessageRejected")
        portal.expect(row).to_contain_text("renewal due")
        portal.check_accessibility("console: parked notices")
        page.get_by_role("button", name="Re-drive all parked notices").click()
        portal.expect(page.get_by_role("status")).to_contain_text("put back and being sent now")
        portal.expect(page.get_by_text("No notices are parked.")).to_be_visible()
        assert wait_for_email(stack, "nils.parker@example.org", "RPT renewal invoice RPT-20270410")

        page.get_by_role("navigation", name="Console").get_by_role("link", name="Find a member").click()
        find_and_open(portal, "nils.parker@example.org", "Nils Parker")
        portal.expect(page.get_by_role("region", name="Notices")).to_contain_text("sent")
        invoice = page.get_by_role("region", name="Invoices").get_by_role("row").filter(has_text="RPT-20270410")
        invoice.get_by_text("Void", exact=True).click()
        invoice.get_by_label("Reason").fill("certification surrendered by letter of 2027-03-28")
        invoice.get_by_role("button", name="Void invoice").click()
        portal.expect(page.get_by_role("status")).to_contain_text("Invoice RPT-20270410 voided.")
        portal.expect(page.get_by_role("region", name="Invoices")).to_contain_text("void")
        portal.expect(page.get_by_role("region", name="History")).to_contain_text("surrendered by letter")


def wait_for_email(stack, to, subject, seconds=30):
    """The re-drive starts the daily run without waiting for it: its email arrives a moment later."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        emails = requests.get(f"{stack['api']}/_local/outbox", timeout=30).json()
        if any(to in e["to"] and subject in (e["subject"] or "") for e in emails):
            return True
        time.sleep(0.5)
    return False


def test_a_member_login_is_not_a_staff_login(stack, browser):
    member_id = create_member(
        stack,
        "2026-12-01T15:00:00Z",
        first_name="Mo",
        last_name="Member",
        email="mo.member@example.org",
        credentials=[{"code": "RMA", "certified_on": "2024-01-10"}],
    )
    cli("token", "--member-id", member_id, "--port", str(stack["api_port"]))
    with console(browser, stack) as portal:
        page = portal.page
        page.goto(portal.url)
        page.get_by_label("Username or email").fill(member_id)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        portal.expect(page.get_by_role("alert")).to_contain_text("do not match")  # not in the staff pool


def test_staff_see_the_program_at_a_glance_and_download_its_figures(stack, browser):
    with console(browser, stack) as portal:
        page = staff_sign_in(portal)
        page.get_by_role("navigation", name="Console").get_by_role("link", name="At a glance").click()
        holders = page.get_by_role("region", name="Credential holders by status")
        # The demo members counted from the table's stream as they were written (James holds two).
        portal.expect(holders.get_by_role("row").filter(has_text="MLS")).to_contain_text("1")
        portal.expect(holders.get_by_role("row").filter(has_text="MLT")).to_contain_text("1")
        portal.expect(page.get_by_role("region", name="Cycles closing unmet")).to_be_visible()
        jobs = page.get_by_role("region", name="Daily jobs")
        portal.expect(jobs.get_by_role("row").filter(has_text="renewal notices")).to_contain_text("06:00 Chicago")
        portal.check_accessibility("console: at a glance")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        text = Path(download.value.path()).read_text()
        assert text.startswith("figure,key,value") and "holders active,MLS," in text


@contextmanager
def record_of_a_new_member(stack, browser, first_name, last_name):
    """Staff on the record of a member certified 2025-03-10 (RMA), created 2026-06-01, on 2026-06-15."""
    member_id = create_member(
        stack,
        "2026-06-01T15:00:00Z",
        first_name=first_name,
        last_name=last_name,
        email=f"{first_name}.{last_name}@example.org".lower(),
        credentials=[{"code": "RMA", "certified_on": "2025-03-10"}],
    )
    with console(browser, stack, local_time="2026-06-15T15:00:00Z") as portal:
        page = staff_sign_in(portal)
        find_and_open(portal, member_id, f"{first_name} {last_name}")
        yield portal, page


def test_staff_rename_a_member_with_a_reason_and_add_a_credential_to_them(stack, browser):
    with record_of_a_new_member(stack, browser, "Nora", "Old") as (portal, page):
        page.get_by_text("Change the name").click()
        name = page.get_by_role("form", name="Change the name")
        name.get_by_label("Last name").fill("New")
        name.get_by_role("button", name="Save name").click()
        portal.expect(name.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")  # no reason, no change
        name.get_by_label("Reason").fill("court order seen")
        name.get_by_role("button", name="Save name").click()
        portal.expect(page.get_by_role("heading", level=1)).to_have_text("Nora New")
        portal.expect(page.get_by_role("region", name="History")).to_contain_text("changed last name from Old to New")
        page.get_by_text("Add a credential").click()
        add = page.get_by_role("form", name="Add a credential")
        add.get_by_label("Credential").fill("cmas")
        add.get_by_label("Certified on").fill("2024-01-05")
        add.get_by_role("button", name="Add credential").click()
        portal.expect(page.locator("#record-result")).to_contain_text("CMAS added: cycle 2024-01-05 to 2027-01-04")
        credentials = page.get_by_role("region", name="Credentials")
        portal.expect(credentials.get_by_role("row").filter(has_text="CMAS")).to_be_visible()
        portal.check_accessibility("console: rename and add a credential")


def test_staff_see_the_record_as_it_stood_on_a_past_day_without_actions(stack, browser):
    # Certified 2025-03-10: before that day the member held no credential.
    with record_of_a_new_member(stack, browser, "Pia", "Past") as (portal, page):
        as_of = page.get_by_role("form", name="The record as of a day")
        as_of.get_by_label("As of the end of").fill("2025-01-31")
        as_of.get_by_role("button", name="Show that day").click()
        portal.expect(page.get_by_role("status").first).to_contain_text("As the record stood at the end of")
        credentials = page.get_by_role("region", name="Credentials")
        portal.expect(credentials.get_by_role("row").filter(has_text="RMA")).to_have_count(0)  # not yet certified
        portal.expect(page.get_by_text("Change the name")).to_have_count(0)  # a past day is read, never changed
        portal.check_accessibility("console: a record as of a past day")
        page.get_by_role("link", name="Back to today").click()
        portal.expect(credentials.get_by_role("row").filter(has_text="RMA")).to_contain_text("active")
        portal.expect(page.get_by_text("Change the name")).to_be_visible()


def test_an_audited_member_sends_proof_and_staff_extend_the_deadline_then_pass_the_audit(stack, browser, tmp_path):
    member_id = create_member(
        stack,
        "2021-04-01T15:00:00Z",
        first_name="Audrey",
        last_name="Audit",
        email="audrey.audit@example.org",
        mailing_address={"line1": "1 Main St", "city": "Chicago", "state": "IL", "postal_code": "60601"},
        credentials=[{"code": "RMA", "certified_on": "2021-03-10"}],
    )
    course = {
        "credentials": ["RMA"],
        "category": "formal_education",
        "title": "Anatomy (2 semester credits)",
        "points": 30,
        "start_date": "2023-01-10",
        "end_date": "2023-04-01",
        "attested": True,
    }
    member = as_member(stack, member_id, "2023-05-01T15:00:00Z")
    assert requests.post(f"{stack['api']}/members/{member_id}/ce-activities", json=course, headers=member).ok
    ports = ("--port", str(stack["api_port"]), "--lambda-port", str(stack["lambda_port"]))
    assert cli("invoke", "RenewalNoticesFunction", "--time", "2024-03-01T12:00:00Z", *ports).returncode == 0
    staff = {"Authorization": f"Bearer {token(stack)}", "X-Local-Time": "2024-03-05T15:00:00Z"}
    cheque = {"amount": 50, "method": "check", "reference": "5501"}
    paid = requests.post(
        f"{stack['api']}/members/{member_id}/invoices/RMA-20240310/payments", json=cheque, headers=staff
    )
    assert paid.json()["rolled_over"] is True  # the cycle 2021-2024 closed complete: audit material
    drawn = cli("invoke", "CcpAuditFunction", "--time", "2025-01-15T13:00:00Z", *ports)
    assert drawn.returncode == 0, drawn.stderr
    assert '"selected": 1' in drawn.stdout  # the one member whose cycle rolled over in 2024
    proof = tmp_path / "anatomy-certificate.pdf"
    proof.write_bytes(b"%PDF-1.4 certificate of completion")

    with Portal.open(browser, stack["api"], local_time="2025-01-20T15:00:00Z") as portal:
        page = portal.sign_in(member_id, PASSWORD)
        portal.go("Audits")
        audit = page.get_by_role("region", name="Audit 2024 RMA")
        portal.expect(audit).to_contain_text("open")
        portal.expect(audit).to_contain_text("March 16, 2025")  # 60 days to answer
        audit.get_by_label("Proof documents").set_input_files(proof)
        audit.get_by_role("button", name="Send documents").click()
        portal.expect(page.get_by_role("status")).to_contain_text("Sent 1 document(s) for the 2024 audit")
        portal.check_accessibility("member: audits")

    with console(browser, stack, local_time="2025-02-01T15:00:00Z") as portal:
        page = staff_sign_in(portal)
        page.goto(portal.url + "#/audits?year=2024")
        row = page.get_by_role("row").filter(has_text=member_id)
        portal.expect(row).to_contain_text("open")
        row.get_by_text("Extend the deadline", exact=True).click()
        row.get_by_label("New deadline").fill("2025-04-30")
        row.get_by_label("Reason").fill("the proof came by post late")
        row.get_by_role("button", name="Extend deadline").click()
        portal.expect(page.get_by_role("status")).to_contain_text("is now 2025-04-30")
        row = page.get_by_role("row").filter(has_text=member_id)
        portal.expect(row).to_contain_text("April 30, 2025")
        row.get_by_label("Note").fill("certificate matches the recorded course")
        row.get_by_role("button", name="Passed").click()
        portal.expect(page.get_by_role("status")).to_contain_text("passed")
        find_and_open_from_nav(portal, member_id, "Audrey Audit")
        history = page.get_by_role("region", name="History")
        portal.expect(history).to_contain_text("deadline moved from 2025-03-16 to 2025-04-30")
        portal.expect(history).to_contain_text("certificate matches the recorded course")


def find_and_open_from_nav(portal, query, name):
    portal.page.get_by_role("navigation", name="Console").get_by_role("link", name="Find a member").click()
    return find_and_open(portal, query, name)


def invitations_to(stack, emails):
    outbox = requests.get(f"{stack['api']}/_local/outbox", timeout=30).json()
    return [
        to
        for message in outbox
        if message["subject"] == "Your Certification Continuation Program login"
        for to in message["to"]
        if to in emails
    ]


def test_staff_check_a_file_by_a_dry_run_import_it_and_send_the_invitations_in_two_batches(stack, browser):
    """docs/import-example.jsonl: five members and one line whose fee does not match."""
    example = Path(__file__).resolve().parents[2] / "docs" / "import-example.jsonl"
    imported = {"rosa.diaz@example.org", "james.okafor@example.org", "dorothy.klein@example.org"}
    imported |= {"hiro.ito@example.org", "grace.evans@example.org"}

    def count(page, name):
        return page.get_by_role("region", name="Counts").locator(f"dt:text-is('{name}') + dd")

    with console(browser, stack) as portal:
        page = staff_sign_in(portal)
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Import members").click()
        portal.expect(page.get_by_role("heading", level=1)).to_have_text("Import members")
        portal.check_accessibility("console: import")
        page.get_by_label("Members file (JSON Lines, or .jsonl.gz)").set_input_files(str(example))
        portal.expect(page.get_by_label(re.compile("^Dry run"))).to_be_checked()  # a first look writes nothing
        page.get_by_role("button", name="Upload and start").click()
        portal.expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Dry run \d{14}-"))
        portal.expect(count(page, "Refused")).to_have_text("1", timeout=60_000)
        portal.expect(count(page, "Would be imported")).to_have_text("5")
        refused = page.get_by_role("table", name="Refused lines").get_by_role("row").filter(has_text="AMT-100999")
        portal.expect(refused).to_contain_text("AMOUNT_MISMATCH")
        portal.expect(page.get_by_role("link", name="Download every refused line (CSV)")).to_be_visible()
        portal.check_accessibility("console: a dry run's report")
        assert not invitations_to(stack, imported)

        page.get_by_role("link", name="Import the file for real").click()
        page.get_by_label("Members file (JSON Lines, or .jsonl.gz)").set_input_files(str(example))
        page.get_by_label(re.compile("^Dry run")).uncheck()
        page.get_by_role("button", name="Upload and start").click()
        portal.expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Import \d{14}-"))
        portal.expect(count(page, "Imported")).to_have_text("5", timeout=60_000)
        portal.expect(count(page, "Invitations sent")).to_have_text("0")
        assert not invitations_to(stack, imported)  # logins were made, nothing was sent

        invitations = page.get_by_role("region", name="Invitations")
        invitations.get_by_label("How many to invite now").fill("2")
        invitations.get_by_role("button", name="Send invitations").click()
        portal.expect(invitations).to_contain_text("2 invitation(s) on their way")
        deadline = time.monotonic() + 30
        while len(invitations_to(stack, imported)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(invitations_to(stack, imported)) == 2

        page.reload()
        portal.expect(count(page, "Invitations sent")).to_have_text("2")
        invitations.get_by_role("button", name="Send invitations").click()  # the rest
        portal.expect(invitations).to_contain_text("3 invitation(s) on their way")
        deadline = time.monotonic() + 30
        while len(invitations_to(stack, imported)) < 5 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)  # anything sent twice would be here by now
        assert sorted(invitations_to(stack, imported)) == sorted(imported)  # each member once
        page.reload()
        portal.expect(page.get_by_role("region", name="Invitations")).to_contain_text(
            "Every member this import wrote has been invited."
        )
