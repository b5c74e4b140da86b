"""Browser tests: Playwright drives Debian's Chromium against a live server, and axe-core
checks every page visited.

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
    """A browser tab that runs axe-core on every page it lands on and records the results."""

    def __init__(self, page, base_url: str, report: list):
        self.page = page
        self.base_url = base_url
        self.report = report

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        self.check()
        return response

    def check(self) -> None:
        """Run axe-core on the current page and fail on any violation."""
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE.read_text())
        results = self.page.evaluate("async () => await window.axe.run(document)")
        path = re.sub(r"^https?://[^/]+", "", self.page.url)
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

    def submit(self, selector: str = "main form button[type=submit]") -> None:
        """Click a form's submit button, wait for the next page and check it."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check()


AXE_REPORT: list = []


def sign_in(pages, email: str, password: str | None = None) -> None:
    """Start a fresh session and sign in through the real sign-in page."""
    from tests.factories import PASSWORD

    pages.page.context.clear_cookies()
    pages.goto("/account/login/")
    pages.page.fill("input[name=login]", email)
    pages.page.fill("input[name=password]", password or PASSWORD)
    pages.submit()


@pytest.fixture
def pages(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Pages(page, live_server.url, AXE_REPORT)
    context.close()


def pytest_terminal_summary(terminalreporter):
    if AXE_REPORT:
        terminalreporter.section("axe-core results per page")
        for row in AXE_REPORT:
            terminalreporter.write_line(
                f"{row['path']:<60} {row['violations']} violations, {row['passes']} rules passed"
            )
