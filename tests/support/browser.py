"""A real browser for the portal's tests: Debian's Chromium driven by Playwright (its own browser
download is not reachable here), with axe-core (as axe-playwright-python ships it) on each page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support import figures

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without these Chromium reaches for Google's hosts at every start, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING = ("serious", "critical")


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        raise RuntimeError(f"No Chromium at {CHROMIUM}: `make browser` installs Debian's (or set CHROMIUM).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Portal:
    """One browser context (its own cookies and session storage) on the portal of a running stack."""

    def __init__(self, context: Any, api: str, path: str = "portal/"):
        from playwright.sync_api import expect

        self.context = context
        self.page = context.new_page()
        self.url = f"{api}/{path}"
        self.expect = expect
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # The local gateway sends production's Content-Security-Policy: anything it refuses is an error.
        self.page.on("console", self._note_policy_violation)

    def _note_policy_violation(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(message.text)

    @classmethod
    @contextmanager
    def open(
        cls,
        browser: Any,
        api: str,
        *,
        local_time: str | None = None,
        viewport: dict[str, int] | None = None,
        path: str = "portal/",
    ) -> Iterator[Portal]:
        options: dict[str, Any] = {"viewport": viewport or {"width": 1280, "height": 900}, "accept_downloads": True}
        if local_time:  # local time travel: every request the page makes carries the moment
            options["extra_http_headers"] = {"X-Local-Time": local_time}
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        try:
            portal = cls(context, api, path)
            yield portal
            assert not portal.errors, f"script errors on the page: {portal.errors}"
        finally:
            context.close()

    def sign_in(self, username: str, password: str) -> Any:
        page = self.page
        page.goto(self.url)
        page.get_by_label("Member ID or email").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        self.expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        self.expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in to the member portal")
        return page

    def nav_link(self, name: str) -> Any:
        return self.page.get_by_role("navigation", name="Portal").get_by_role("link", name=name, exact=True)

    def go(self, name: str) -> None:
        """Follow a link of the portal's navigation."""
        self.nav_link(name).click()

    def check_accessibility(self, name: str) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        from axe_playwright_python.sync_playwright import Axe

        violations = Axe().run(self.page).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        figures.add("portal accessibility (axe-core)", "page states checked")
        figures.add("portal accessibility (axe-core)", "serious or critical violations", len(blocking))
        figures.add("portal accessibility (axe-core)", "moderate or minor violations", len(violations) - len(blocking))
        assert not blocking, f"{name}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}" for v in blocking
        )

    def tab_to(self, locator: Any, limit: int = 40) -> None:
        """Press Tab until the element has the focus, as a keyboard user would."""
        for _ in range(limit):
            if locator.evaluate("element => element === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"{locator} cannot be reached with the Tab key")
