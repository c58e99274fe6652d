"""Screenshots of the portal's main pages, for the README and review: `.venv/bin/python docs/render_portal.py`
(needs Debian's Chromium: `make browser`). Starts `ccp-local up` on free ports, as the browser tests do,
and writes docs/portal/<page>.png (desktop) and docs/portal/phone-<page>.png (390 px wide)."""

import re
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "local")]
OUT = ROOT / "docs" / "portal"
PASSWORD = "Local-Passw0rd!"


def main() -> None:
    from tests.support.browser import chromium
    from tests.support.local_stack import cli, running_stack, token

    OUT.mkdir(exist_ok=True)
    log = ROOT / ".ccp-local" / "render-portal.log"
    log.parent.mkdir(exist_ok=True)
    with running_stack(log, demo_members=20) as stack, chromium() as browser:
        # A member with an open invoice (the local clock moved to the anniversary month).
        staff = {"Authorization": f"Bearer {token(stack)}", "X-Local-Time": "2026-12-01T15:00:00Z"}
        body = {
            "first_name": "Pat",
            "last_name": "Lee",
            "email": "pat.lee@example.org",
            "credentials": [
                {"code": "RPT", "certified_on": "2025-06-10"},
                {"code": "RMA", "certified_on": "2019-03-04"},
            ],
        }
        pat = requests.post(f"{stack['api']}/staff/members", json=body, headers=staff, timeout=30).json()["member_id"]
        ports = ("--port", str(stack["api_port"]), "--lambda-port", str(stack["lambda_port"]))
        cli("invoke", "RenewalNoticesFunction", "--time", "2027-06-01T12:00:00Z", *ports)
        cli("token", "--member-id", pat, "--port", str(stack["api_port"]))

        member_pages(browser, stack, pat)
        staff_pages(browser, stack)
        phone_pages(browser, stack)
    for shot in sorted(OUT.glob("*.png")):
        print(shot.relative_to(ROOT))
    print(re.sub(r"\s+", " ", f"{len(list(OUT.glob('*.png')))} screenshots"))


def member_pages(browser, stack, pat):
    from tests.support.browser import Portal
    from tests.support.local_stack import demo_member

    with Portal.open(browser, stack["api"]) as portal:
        page = portal.page
        page.goto(portal.url)
        page.screenshot(path=OUT / "sign-in.png")
        portal.sign_in(demo_member(stack, "Maria Santos"), PASSWORD)
        page.screenshot(path=OUT / "status.png", full_page=True)
        portal.go("CE activities")
        form = page.get_by_role("form", name="Record CE")
        form.get_by_label("Title").fill("Phlebotomy safety webinar")
        form.get_by_label("Points").fill("2")
        form.get_by_label("Start date").fill("2026-11-20")
        form.get_by_label("End date").fill("2026-11-20")
        form.get_by_role("button", name="Record").click()
        form.get_by_role("alert").wait_for()  # not attested: the API's refusal, shown in place
        page.screenshot(path=OUT / "record-ce.png", full_page=True)
        portal.go("Contact details")
        page.screenshot(path=OUT / "contact.png", full_page=True)
        page.goto(portal.url + "verify?id=" + demo_member(stack, "James Okafor"))
        page.get_by_role("region", name="Verification result").wait_for()
        page.screenshot(path=OUT / "verify.png", full_page=True)

    with Portal.open(browser, stack["api"], local_time="2027-06-02T15:00:00Z") as portal:
        portal.sign_in(pat, PASSWORD)
        portal.go("Invoices")
        portal.page.get_by_role("button", name="Pay", exact=True).first.wait_for()
        portal.page.screenshot(path=OUT / "invoices.png", full_page=True)


def staff_pages(browser, stack):
    from tests.support.browser import Portal

    with Portal.open(browser, stack["api"], path="portal/staff/", local_time="2027-06-02T15:00:00Z") as portal:
        page = portal.page
        page.goto(portal.url)
        page.get_by_label("Username or email").fill("staff")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Member ID, email or last name").fill("lee")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Pat Lee").first.wait_for()
        page.screenshot(path=OUT / "staff-find.png", full_page=True)
        page.get_by_role("link", name="Pat Lee").first.click()
        page.get_by_role("region", name="History").wait_for()
        page.get_by_text("Record a cheque").first.click()
        page.screenshot(path=OUT / "staff-member.png", full_page=True)
        nav = page.get_by_role("navigation", name="Console")
        nav.get_by_role("link", name="At a glance").click()
        page.get_by_role("region", name="Credential holders by status").wait_for()
        page.screenshot(path=OUT / "staff-dashboard.png", full_page=True)


def phone_pages(browser, stack):
    from tests.support.browser import Portal
    from tests.support.local_stack import demo_member

    with Portal.open(browser, stack["api"], viewport={"width": 390, "height": 844}) as portal:
        portal.sign_in(demo_member(stack, "James Okafor"), PASSWORD)
        portal.page.screenshot(path=OUT / "phone-status.png", full_page=True)
        portal.go("CE activities")
        portal.page.screenshot(path=OUT / "phone-record-ce.png", full_page=True)


if __name__ == "__main__":
    main()
