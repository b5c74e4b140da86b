"""Browser tests: Playwright drives Debian's Chromium against a live server. Every page visited
must answer the HTTP status the test expects (200 unless it says otherwise), log no console
error, throw no uncaught error, start the design system's scripts, and pass axe-core.

Skipped only when no Chromium is installed and CI is unset; in CI a missing browser fails.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_CANDIDATES = [
    os.environ.get("CHROMIUM_PATH", ""),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    shutil.which("chromium") or "",
]
CHROMIUM = next((path for path in CHROMIUM_CANDIDATES if path and os.path.exists(path)), None)

# Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
# still synchronous, so tell Django not to refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    if CHROMIUM is None:
        if os.environ.get("CI"):
            raise pytest.UsageError("CI is set but no Chromium was found: install Debian's chromium.")
        skip = pytest.mark.skip(reason="no Chromium found (install Debian's chromium package)")
        for item in items:
            if "/e2e/" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class AxeViolations(AssertionError):
    pass


class Pages:
    """A browser tab that checks every page it lands on: the HTTP status is the one expected
    (200 unless the test says otherwise), the console shows no error, no script threw, the
    design system's scripts started, and axe-core finds no violation. The results are recorded
    for the report."""

    def __init__(self, page, base_url: str, report: list):
        self.page = page
        self.base_url = base_url
        self.report = report
        self.problems: list[str] = []
        self.status: int | None = None
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        page.on("response", self._on_response)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def _on_response(self, response) -> None:
        # The top-level document of each navigation, redirects included: the last one wins.
        if response.request.is_navigation_request() and response.frame == self.page.main_frame:
            self.status = response.status

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str, status: int = 200):
        response = self.page.goto(self.url(path))
        self.check(status)
        return response

    def check(self, status: int = 200) -> None:
        """Check the current page; `status` is the HTTP status it must have answered with."""
        self.page.wait_for_load_state("load")
        path = re.sub(r"^https?://[^/]+", "", self.page.url)
        assert self.status == status, f"{path} answered {self.status}, expected {status}"
        self._check_console(status)
        assert self.page.evaluate("document.body.classList.contains('nhsuk-frontend-supported')"), (
            f"the design system's scripts did not start on {path}"
        )
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE.read_text())
        results = self.page.evaluate("async () => await window.axe.run(document)")
        violations = results["violations"]
        self.report.append({"path": path, "violations": len(violations), "passes": len(results["passes"])})
        if violations:
            summary = [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"]][:5],
                }
                for v in violations
            ]
            raise AxeViolations(f"axe-core violations on {path}:\n{json.dumps(summary, indent=2)}")

    def _check_console(self, status: int) -> None:
        problems, self.problems = self.problems, []
        if status >= 400:
            # Chromium logs the page's own error status in the console; that one was expected.
            problems = [p for p in problems if f"status of {status}" not in p]
        assert not problems, "\n".join(problems)

    def submit(self, selector: str = "main form button[type=submit]", status: int = 200) -> None:
        """Click a form's submit button, wait for the next page and check it."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check(status)

    def follow(self, selector: str, status: int = 200) -> None:
        """Click a link, wait for the next page and check it."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check(status)


AXE_REPORT: list = []


def sign_in(pages, email: str, password: str | None = None) -> None:
    """Start a fresh session and sign in through the real sign-in page."""
    from tests.factories import PASSWORD

    pages.page.context.clear_cookies()
    pages.goto("/account/login/")
    pages.page.fill("input[name=login]", email)
    pages.page.fill("input[name=password]", password or PASSWORD)
    pages.submit()


def _no_font(route) -> None:
    route.fulfill(status=200, body=b"", content_type="font/woff2")


@pytest.fixture
def pages(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url)
    # The design system's CSS loads the Frutiger web font from the NHS's own asset host, which a
    # test machine may not reach: answer for it with an empty font so the browser falls back to
    # Arial quietly instead of logging a network error (which would fail every page).
    context.route(re.compile(r"^https://assets\.nhs\.uk/fonts/"), _no_font)
    page = context.new_page()
    page.set_default_timeout(15_000)
    pages = Pages(page, live_server.url, AXE_REPORT)
    yield pages
    # Anything that went wrong after the last page was checked still fails the test.
    leftover = pages.problems
    context.close()
    assert not leftover, "\n".join(leftover)


def pytest_terminal_summary(terminalreporter):
    if AXE_REPORT:
        terminalreporter.section("axe-core results per page")
        for row in AXE_REPORT:
            terminalreporter.write_line(
                f"{row['path']:<60} {row['violations']} violations, {row['passes']} rules passed"
            )
