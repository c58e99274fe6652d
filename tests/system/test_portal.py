"""The member portal and public verification in a real browser (Debian's Chromium, driven by
Playwright) against `ccp-local up`: what a member and an employer do, found by the accessible names
of docs/api.md, and axe-core on every page."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import requests

from tests.support.browser import Portal, chromium
from tests.support.local_stack import cli, demo_member, running_stack, token

pytestmark = pytest.mark.system
PASSWORD = "Local-Passw0rd!"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("portal") / "up.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def portal(stack, browser):
    with Portal.open(browser, stack["api"]) as opened:
        yield opened


def outbox(stack, to):
    emails = requests.get(f"{stack['api']}/_local/outbox", timeout=30).json()
    return [e for e in emails if to in e["to"]]


def demo_email(stack, name):
    member_id = demo_member(stack, name)
    staff = {"Authorization": f"Bearer {token(stack)}"}
    return requests.get(f"{stack['api']}/members/{member_id}", headers=staff, timeout=30).json()["email"]


def test_a_member_signs_in_with_member_id_or_email_sees_each_credential_and_signs_out(stack, portal):
    james = demo_member(stack, "James Okafor")
    page = portal.sign_in(james.lower(), PASSWORD)  # the member id in any case
    expect = portal.expect
    expect(page.get_by_role("heading", level=1)).to_have_text("James Okafor")
    for code in ("MLS", "MLT"):
        region = page.get_by_role("region", name=code, exact=True)
        expect(region).to_contain_text("Active")
        expect(region).to_contain_text("Points remaining")
        expect(region).to_contain_text("Current cycle")
    mls = page.get_by_role("region", name="MLS", exact=True)
    expect(mls.locator("dd.remaining")).to_have_text(re.compile(r"^0(\.0+)?$"))  # met by one course
    expect(mls).to_contain_text("Requirement met")
    portal.check_accessibility("status")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Member ID or email")).to_be_visible()

    page = portal.sign_in(demo_email(stack, "James Okafor").upper(), PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("James Okafor")


def test_a_wrong_password_is_refused_with_a_message(stack, portal):
    page = portal.page
    page.goto(portal.url)
    page.get_by_label("Member ID or email").fill(demo_member(stack, "Maria Santos"))
    page.get_by_label("Password").fill("Wrong-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    portal.expect(page.get_by_role("alert")).to_contain_text("do not match")
    portal.check_accessibility("sign-in refused")


def test_recording_ce_lowers_the_remaining_points_and_a_refusal_shows_the_api_message(stack, portal):
    maria = demo_member(stack, "Maria Santos")
    page = portal.sign_in(maria, PASSWORD)
    expect = portal.expect
    before = remaining(page.get_by_role("region", name="RMA", exact=True))
    portal.go("CE activities")
    form = page.get_by_role("form", name="Record CE")
    expect(form.get_by_text("1 point per contact hour")).to_be_visible()  # the rule table's guidance
    form.get_by_label("Category").select_option("professional_education")
    form.get_by_label("Title").fill("Blood-borne pathogens refresher")
    form.get_by_label("Provider").fill("County Health")
    form.get_by_label("Points").fill("2")
    form.get_by_label("Start date").fill("2026-11-02")
    form.get_by_label("End date").fill("2026-11-02")
    expect(form.get_by_label("RMA", exact=True)).to_be_checked()

    # Not attested: the API refuses and its message is shown in an alert.
    form.get_by_role("button", name="Record").click()
    expect(form.get_by_role("alert")).to_contain_text("attest")
    portal.check_accessibility("record CE refused")
    # A date in the future: refused with the API's message too.
    form.get_by_label("I attest that this information is correct").check()
    form.get_by_label("End date").fill("2031-01-01")
    form.get_by_role("button", name="Record").click()
    expect(form.get_by_role("alert")).to_contain_text("cannot end after today")

    form.get_by_label("End date").fill("2026-11-02")
    form.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded. 2 points count")
    expect(page.get_by_role("table")).to_contain_text("Blood-borne pathogens refresher")
    portal.check_accessibility("CE activities")
    portal.go("Status")
    assert remaining(page.get_by_role("region", name="RMA", exact=True)) == before - 2

    # Corrected, then removed: the points follow.
    portal.go("CE activities")
    page.get_by_role("button", name="Correct Blood-borne pathogens refresher").click()
    correction = page.get_by_role("form", name="Correct Blood-borne pathogens refresher")
    correction.get_by_label("Points").fill("3")
    correction.get_by_label("I attest that this information is correct").check()
    correction.get_by_role("button", name="Save correction").click()
    expect(page.get_by_role("status")).to_contain_text("Corrected")
    expect(page.get_by_role("list", name="Points remaining this cycle")).to_contain_text(f"{before - 3:g} points")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Blood-borne pathogens refresher").click()
    expect(page.get_by_role("status")).to_contain_text("Removed")
    expect(page.get_by_role("list", name="Points remaining this cycle")).to_contain_text(f"{before:g} points")


def test_a_submission_whose_answer_was_lost_is_recorded_once_when_sent_again(stack, portal):
    """One Idempotency-Key per form submission: the member clicks Record again after a lost answer
    (the request reached the API), and the API answers the first result instead of recording twice."""
    maria = demo_member(stack, "Maria Santos")
    page = portal.sign_in(maria, PASSWORD)
    portal.go("CE activities")
    keys_sent = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            return route.continue_()
        keys_sent.append(route.request.headers.get("idempotency-key"))
        if len(keys_sent) == 1:
            route.fetch()  # the API records it...
            return route.abort("connectionreset")  # ...and its answer never reaches the page
        return route.continue_()

    page.route("**/ce-activities", lose_the_first_answer)
    form = page.get_by_role("form", name="Record CE")
    form.get_by_label("Category").select_option("professional_education")
    form.get_by_label("Title").fill("Lost answer course")
    form.get_by_label("Points").fill("1")
    form.get_by_label("Start date").fill("2026-11-03")
    form.get_by_label("End date").fill("2026-11-03")
    form.get_by_label("I attest that this information is correct").check()
    form.get_by_role("button", name="Record").click()
    portal.expect(form.get_by_role("alert")).to_contain_text("could not be reached")
    form.get_by_role("button", name="Record").click()
    portal.expect(page.get_by_role("status")).to_contain_text("Recorded. 1 point")
    assert len(keys_sent) == 2 and keys_sent[0] and keys_sent[0] == keys_sent[1]
    staff = {"Authorization": f"Bearer {token(stack)}"}
    listed = requests.get(f"{stack['api']}/members/{maria}/ce-activities", headers=staff, timeout=30).json()
    assert [a["title"] for a in listed["activities"]].count("Lost answer course") == 1
    page.unroute("**/ce-activities")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Lost answer course").click()
    portal.expect(page.get_by_role("status")).to_contain_text("Removed")


def test_the_transcript_downloads_as_a_pdf(stack, portal):
    from pypdf import PdfReader

    page = portal.sign_in(demo_member(stack, "Maria Santos"), PASSWORD)
    portal.go("CE activities")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download transcript (PDF)").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    content = Path(pdf.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Maria Santos" in text and "Clinic newsletter article" in text


def test_an_invited_member_chooses_a_password_then_pays_an_invoice_at_the_processor(stack, browser):
    staff = {"Authorization": f"Bearer {token(stack)}", "X-Local-Time": "2026-12-01T15:00:00Z"}
    body = {
        "first_name": "Pat",
        "last_name": "Lee",
        "email": "pat.lee@example.org",
        "credentials": [{"code": "RPT", "certified_on": "2025-06-10"}],
    }
    created = requests.post(f"{stack['api']}/staff/members", json=body, headers=staff, timeout=30).json()
    assert created["invited"] is True
    invitation = outbox(stack, "pat.lee@example.org")[-1]
    assert created["member_id"] in invitation["text"]
    temporary = re.search(r"Temporary password: (\S+)", invitation["text"]).group(1)
    ports = ("--port", str(stack["api_port"]), "--lambda-port", str(stack["lambda_port"]))
    assert cli("invoke", "RenewalNoticesFunction", "--time", "2027-06-01T12:00:00Z", *ports).returncode == 0

    # The member's browser lives on 2027-06-02 (local time travel), when the invoice is open.
    with Portal.open(browser, stack["api"], local_time="2027-06-02T15:00:00Z") as portal:
        page = portal.page
        page.goto(portal.url)
        page.get_by_label("Member ID or email").fill(created["member_id"])
        page.get_by_label("Password").fill(temporary)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("New password", exact=True).fill("Pat-Own-Passw0rd")
        page.get_by_label("New password again").fill("Pat-Own-Passw0rd")
        portal.check_accessibility("first sign-in")
        page.get_by_role("button", name="Save password and sign in").click()
        portal.expect(page.get_by_role("heading", level=1)).to_have_text("Pat Lee")

        portal.go("Invoices")
        row = page.get_by_role("row").filter(has_text="RPT-20270610")
        portal.expect(row).to_contain_text("Open")
        portal.check_accessibility("invoices")
        row.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_url(re.compile(r"/pay/"))
        page.get_by_role("button", name="Pay").click()  # the processor's hosted page
        page.wait_for_url(re.compile(r"/portal/#/invoices\?paid="))
        portal.expect(page.get_by_role("status")).to_contain_text("payment for invoice RPT-20270610")
        row = page.get_by_role("row").filter(has_text="RPT-20270610")
        portal.expect(row).to_contain_text("Paid")
        with page.expect_download() as receipt:
            row.get_by_role("button", name="Receipt for invoice RPT-20270610 (PDF)").click()
        assert Path(receipt.value.path()).read_bytes().startswith(b"%PDF")

    # From now on, their own password.
    with Portal.open(browser, stack["api"]) as portal:
        portal.sign_in("pat.lee@example.org", "Pat-Own-Passw0rd")


def test_forgot_password_emails_a_code_that_sets_a_new_password(stack, portal):
    dorothy = demo_member(stack, "Dorothy Klein")
    email = demo_email(stack, "Dorothy Klein")
    page = portal.page
    page.goto(portal.url)
    page.get_by_role("button", name="Forgot password?").click()
    page.get_by_label("Member ID or email").fill(dorothy)
    portal.check_accessibility("forgot password")
    page.get_by_role("button", name="Email me a code").click()
    portal.expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code")
    code = re.search(r"\b(\d{6})\b", outbox(stack, email)[-1]["text"]).group(1)

    page.get_by_label("Code from the email").fill("000000" if code != "000000" else "111111")
    page.get_by_label("New password", exact=True).fill("Dorothy-New-Passw0rd")
    page.get_by_role("button", name="Set new password").click()
    portal.expect(page.get_by_role("alert")).to_contain_text("not the one we sent")

    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Set new password").click()
    portal.expect(page.get_by_role("status")).to_contain_text("password is changed")
    portal.sign_in(dorothy, "Dorothy-New-Passw0rd")


def test_a_new_email_is_used_once_the_member_enters_the_code_sent_to_it(stack, portal):
    # A member of this test's own (the demo members are other tests'), signing in with the local password.
    body = {
        "first_name": "Lee",
        "last_name": "Moss",
        "email": "lee.moss@example.org",
        "credentials": [{"code": "CMAS", "certified_on": "2024-02-01"}],
    }
    staff = {"Authorization": f"Bearer {token(stack)}"}
    member_id = requests.post(f"{stack['api']}/staff/members", json=body, headers=staff, timeout=30).json()["member_id"]
    assert cli("token", "--member-id", member_id, "--port", str(stack["api_port"])).returncode == 0
    page = portal.sign_in(member_id, PASSWORD)
    portal.go("Contact details")
    form = page.get_by_role("form", name="Contact details")
    form.get_by_label("Email", exact=True).fill("someone.new@example.org")
    form.get_by_label("Email only: send me no letters").check()
    form.get_by_role("button", name="Save contact details").click()
    portal.expect(page.get_by_role("status")).to_contain_text("We sent a code to someone.new@example.org")
    portal.check_accessibility("contact details")
    code = re.search(r"\b(\d{6})\b", outbox(stack, "someone.new@example.org")[-1]["text"]).group(1)
    confirm = page.get_by_role("form", name="Confirm your email")
    confirm.get_by_label("Code from the email").fill(code)
    confirm.get_by_role("button", name="Confirm email").click()
    portal.expect(page.get_by_role("status")).to_contain_text("confirmed")
    portal.expect(page.get_by_role("main")).to_contain_text("Confirmed")
    page.get_by_role("button", name="Sign out").click()
    portal.sign_in("someone.new@example.org", PASSWORD)  # the confirmed address signs in


def test_the_other_member_pages_pass_axe(stack, portal):
    portal.sign_in(demo_member(stack, "Maria Santos"), PASSWORD)
    for name, link in (("recertification", "Recertification"), ("audits", "Audits")):
        portal.go(link)
        portal.expect(portal.page.get_by_role("heading", level=2, name=link, exact=True)).to_be_visible()
        portal.check_accessibility(name)


def test_an_employer_verifies_a_credential_without_signing_in(stack, portal):
    page = portal.page
    page.goto(portal.url + "verify")
    portal.check_accessibility("verify (empty)")
    page.get_by_label("Member ID").fill(demo_member(stack, "James Okafor"))
    page.get_by_role("button", name="Verify").click()
    result = page.get_by_role("region", name="Verification result")
    portal.expect(result).to_contain_text("James Okafor")
    portal.expect(result.get_by_role("row").filter(has_text="MLS")).to_contain_text("Active")
    assert "@" not in result.inner_text()  # nothing personal beyond the name
    portal.check_accessibility("verify")
    page.get_by_label("Member ID").fill("MNOSUCHMEMBER")
    page.get_by_role("button", name="Verify").click()
    portal.expect(page.get_by_role("alert")).to_contain_text("No member has the ID MNOSUCHMEMBER")


def test_on_a_phone_every_page_is_one_column_without_sideways_scrolling(stack, browser):
    with Portal.open(browser, stack["api"], viewport={"width": 390, "height": 844}) as portal:
        page = portal.sign_in(demo_member(stack, "James Okafor"), PASSWORD)
        mls, mlt = (page.get_by_role("region", name=c, exact=True).bounding_box() for c in ("MLS", "MLT"))
        assert mlt["y"] >= mls["y"] + mls["height"] and abs(mlt["x"] - mls["x"]) < 1  # stacked, not side by side
        for link in ("CE activities", "Invoices", "Contact details", "Recertification", "Audits", "Status"):
            portal.go(link)
            page.get_by_role("heading", level=2).first.wait_for()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, link
        portal.go("CE activities")
        form = page.get_by_role("form", name="Record CE")
        title, provider = form.get_by_label("Title").bounding_box(), form.get_by_label("Provider").bounding_box()
        assert provider["y"] > title["y"] + title["height"]


def test_the_keyboard_alone_signs_in_and_reaches_every_page(stack, portal):
    page = portal.page
    page.goto(portal.url)
    portal.tab_to(page.get_by_label("Member ID or email"))
    page.keyboard.type(demo_member(stack, "Maria Santos"))
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    portal.expect(page.get_by_role("heading", level=1)).to_have_text("Maria Santos")
    portal.tab_to(portal.nav_link("Invoices"))
    page.keyboard.press("Enter")
    portal.expect(page.get_by_role("heading", level=2, name="Invoices")).to_be_visible()
    portal.tab_to(page.get_by_role("button", name="Sign out"))
    page.keyboard.press("Enter")
    portal.expect(page.get_by_label("Member ID or email")).to_be_visible()


def remaining(region) -> float:
    return float(region.locator(".remaining").inner_text())


def test_an_expiring_session_is_refreshed_with_cognito_and_sign_out_ends_it(stack, portal):
    page = portal.sign_in(demo_member(stack, "Maria Santos"), PASSWORD)
    before = page.evaluate("JSON.parse(sessionStorage.getItem('ccp.session'))")
    # The ID token is about to expire: the next request refreshes it first (REFRESH_TOKEN_AUTH).
    page.evaluate(
        "(s) => sessionStorage.setItem('ccp.session', JSON.stringify({...s, expiresAt: Date.now() / 1000}))", before
    )
    portal.go("Invoices")
    portal.expect(page.get_by_role("heading", level=2, name="Invoices")).to_be_visible()
    after = page.evaluate("JSON.parse(sessionStorage.getItem('ccp.session'))")
    assert after["idToken"] != before["idToken"] and after["expiresAt"] > before["expiresAt"] - 1
    assert after["refreshToken"] == before["refreshToken"]
    page.get_by_role("button", name="Sign out").click()
    portal.expect(page.get_by_label("Member ID or email")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('ccp.session')") is None


def test_a_lapsed_member_sees_the_open_paths_and_applies_with_an_uploaded_proof(stack, browser, tmp_path):
    headers = {"Authorization": f"Bearer {token(stack)}", "X-Local-Time": "2022-06-01T15:00:00Z"}
    body = {
        "first_name": "Rae",
        "last_name": "Lapse",
        "email": "rae.lapse@example.org",
        "credentials": [{"code": "RMA", "certified_on": "2019-05-10"}],
    }
    member_id = requests.post(f"{stack['api']}/staff/members", json=body, headers=headers, timeout=30).json()[
        "member_id"
    ]
    assert cli("token", "--member-id", member_id, "--port", str(stack["api_port"])).returncode == 0
    proof = tmp_path / "anatomy-transcript.pdf"
    proof.write_bytes(b"%PDF-1.4 registrar's transcript")

    # 2028: the cycle 2022-05-10 .. 2025-05-09 ended unmet three years ago.
    with Portal.open(browser, stack["api"], local_time="2028-06-01T15:00:00Z") as portal:
        page = portal.sign_in(member_id, PASSWORD)
        portal.expect(page.get_by_role("region", name="RMA", exact=True)).to_contain_text("Must recertify")
        portal.go("Recertification")
        options = page.get_by_role("region", name="RMA recertification")
        portal.expect(options).to_contain_text("By CE documentation; By examination")
        form = page.get_by_role("form", name="Apply for recertification")
        form.get_by_label("Activity 1: category").select_option("formal_education")
        form.get_by_label("Activity 1: title").fill("Anatomy (2 semester credits)")
        form.get_by_label("Activity 1: points").fill("30")
        form.get_by_label("Activity 1: start date").fill("2027-01-10")
        form.get_by_label("Activity 1: end date").fill("2027-05-01")
        form.get_by_label("Proof documents").set_input_files(proof)  # straight to S3, presigned
        form.get_by_label("I attest that this information is correct").check()
        portal.check_accessibility("recertification application")
        form.get_by_role("button", name="Apply").click()
        portal.expect(page.get_by_role("status")).to_contain_text("received: awaiting payment")
        fee = re.search(r"invoice (RC-[0-9A-F]+)", page.get_by_role("main").inner_text()).group(1)
        portal.go("Invoices")
        row = page.get_by_role("row").filter(has_text=fee)
        portal.expect(row.get_by_role("button", name="Pay", exact=True)).to_be_visible()

    staff = {"Authorization": f"Bearer {token(stack)}"}
    applications = requests.get(
        f"{stack['api']}/staff/recertifications?state=submitted", headers=staff, timeout=30
    ).json()["applications"]
    assert all(a["application_id"].split(".")[0] != member_id for a in applications)  # not before the fee is paid
