"""Playwright fixtures: one headless system Chromium per session, a fresh page per test.

Playwright's sync API runs an event loop in the test thread, so Django's async-safety guard has
to be told that the ORM calls made by tests and by the live server are fine.

Every page a browser test opens is checked with axe-core (WCAG 2.1 A and AA rules) once per
document it shows: before each action a test takes on it (``goto``, ``click``, ``fill``, ...),
right after each navigation call (``goto``, ``go_back``, ``reload``), after each htmx swap (at
the next action) and when the test ends. Any violation fails the test with the rule id, its
impact, the page and the CSS selectors of the offending elements. axe-core comes from the PyPI
package ``axe-playwright-python`` (it ships ``axe.min.js``); nothing is fetched from a CDN.

Pages opened with ``javascript=False`` cannot run axe themselves (its timers never fire), so
their DOM is copied into a JavaScript-enabled checker page of the same origin, with the page's
own scripts blocked by a Content-Security-Policy and ``<noscript>`` content shown.
"""

import functools
import os
import re
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's password
DESKTOP = {"width": 1200, "height": 900}

# -- axe-core on every page ----------------------------------------------------------------------

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
MARKER = "__mampfAxeChecked"
# A new document has no marker; an htmx swap clears it so the changed page is checked again.
# id(page) -> the CSP violation messages seen on that page (checked at teardown).
CSP_VIOLATIONS: dict[int, list[str]] = {}
INIT_SCRIPT = (
    f"document.addEventListener('htmx:afterSettle', () => {{ window.{MARKER} = false; }});"
)
RUN_AXE = """async (options) => {
  const results = await window.axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""
# Locator and Page calls after which the test has moved on: the document it acted on must have
# been checked before. Navigations are also checked right after they return.
ACTIONS = (
    "check",
    "clear",
    "click",
    "dblclick",
    "drag_to",
    "fill",
    "focus",
    "hover",
    "press",
    "press_sequentially",
    "select_option",
    "set_checked",
    "set_input_files",
    "tap",
    "type",
    "uncheck",
)
NAVIGATIONS = ("goto", "go_back", "go_forward", "reload")


def _axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def format_violations(url: str, violations: list[dict], *, javascript: bool = True) -> str:
    """A readable failure: one block per rule, with impact, help and the offending elements."""
    count = sum(len(v["nodes"]) for v in violations)
    mode = "" if javascript else " (JavaScript off)"
    lines = [f"axe-core: {count} WCAG 2.1 A/AA violation(s) on {url}{mode}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}]: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            html = re.sub(r"\s+", " ", node["html"])[:160]
            lines.append(f"    at {target}   {html}")
            summary = re.sub(r"\s+", " ", node.get("summary") or "").strip()
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


class AxeWatch:
    """Checks each document one page shows, once (and again after an htmx swap)."""

    def __init__(self, page, *, javascript: bool, checker_page):
        self.page = page
        self.javascript = javascript
        self._checker_page = checker_page  # a callable giving a JavaScript-enabled page

    def check(self, *, force: bool = False) -> None:
        __tracebackhide__ = True
        page = self.page
        if page.is_closed() or page.url.startswith("about:"):
            return
        from playwright.sync_api import Error

        for _attempt in range(3):
            try:
                page.wait_for_load_state("load")
                if not force and page.evaluate(f"() => window.{MARKER} === true"):
                    return
                url = page.url
                violations = self._run(page) if self.javascript else self._run_copy(page)
                page.evaluate(f"() => {{ window.{MARKER} = true; }}")
            except Error as exc:
                # The page navigated while it was being checked: check the new document.
                if "context was destroyed" in str(exc) or "navigat" in str(exc):
                    continue
                raise
            if violations:
                raise AssertionError(format_violations(url, violations, javascript=self.javascript))
            return

    def _run(self, page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(_axe_script())
        return page.evaluate(RUN_AXE, AXE_OPTIONS)

    def _run_copy(self, page) -> list[dict]:
        url = page.url
        # Shown to a browser with scripting on, <noscript> content would be plain text.
        html = re.sub(r"</?noscript>", "", page.content())
        checker = self._checker_page()
        checker.route(
            lambda address: address == url,
            lambda route: route.fulfill(
                body=html,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": "script-src 'none'"},
            ),
            times=1,
        )
        checker.goto(url)
        return self._run(checker)


def _watched(method, *, before: bool, after: bool):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        __tracebackhide__ = True
        page = getattr(self, "page", self)  # a Locator knows its page; a Page is one
        watch = WATCHES.get(id(page))
        if watch is not None and watch.page is page and before:
            watch.check()
        result = method(self, *args, **kwargs)
        if watch is not None and watch.page is page and after:
            watch.check()
        return result

    return wrapper


WATCHES: dict[int, AxeWatch] = {}


@pytest.fixture
def _axe_hooks(monkeypatch):
    """Route the Playwright calls tests make through the watches of the pages they act on."""
    from playwright.sync_api import Locator, Page

    for cls in (Locator, Page):
        for name in ACTIONS:
            if hasattr(cls, name):
                monkeypatch.setattr(
                    cls, name, _watched(getattr(cls, name), before=True, after=False)
                )
    for name in NAVIGATIONS:
        monkeypatch.setattr(Page, name, _watched(getattr(Page, name), before=True, after=True))
    yield WATCHES
    WATCHES.clear()


# -- browser and pages ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from django.urls import get_resolver
    from playwright.sync_api import sync_playwright

    # Import every view module now: the live server would do it on its first request, which
    # on a loaded machine took most of the first page's 5-second navigation timeout.
    _ = get_resolver().url_patterns
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server, _axe_hooks):
    """Open pages in fresh browser contexts (own cookies); ``javascript=False`` for no-JS runs,
    ``viewport={"width": 390, "height": 844}`` for a phone, ``locale="de-DE"`` for German pages.
    Every page is checked with axe."""
    contexts = []
    watches = []
    pages = []
    checker = {}

    def context_for(*, javascript: bool, viewport: dict, locale: str = "en-US"):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            java_script_enabled=javascript,
            viewport=viewport,
        )
        # BROWSER_TIMEOUT_MS: more patience on a machine busy with other work than CI.
        context.set_default_timeout(int(os.environ.get("BROWSER_TIMEOUT_MS", "5000")))
        contexts.append(context)
        return context

    def checker_page():
        if "page" not in checker:
            checker["page"] = context_for(javascript=True, viewport=DESKTOP).new_page()
        return checker["page"]

    def open_page(*, javascript: bool = True, viewport: dict | None = None, locale: str = "en-US"):
        context = context_for(javascript=javascript, viewport=viewport or DESKTOP, locale=locale)
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts
        # Every page must pass the Content-Security-Policy: Chromium reports each blocked inline
        # style, script or foreign source as a console message; any one fails the test.
        violations = CSP_VIOLATIONS.setdefault(id(page), [])
        page.on(
            "console",
            lambda message, found=violations, page=page: (
                found.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        pages.append(page)
        watch = AxeWatch(page, javascript=javascript, checker_page=checker_page)
        WATCHES[id(page)] = watch
        watches.append(watch)
        return page

    yield open_page
    failures = []
    for opened in pages:
        found = CSP_VIOLATIONS.pop(id(opened), [])
        if found:
            failures.append("Content-Security-Policy violations:\n" + "\n".join(found))
    for watch in watches:
        try:
            watch.check()
        except AssertionError as exc:
            failures.append(str(exc))
    for context in contexts:
        context.close()
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def csp_violations():
    """The page's Content-Security-Policy violations so far (a list the test may clear)."""

    def found(page) -> list[str]:
        return CSP_VIOLATIONS.setdefault(id(page), [])

    return found


@pytest.fixture
def assert_accessible():
    """Check a page with axe now, even if its document was checked before (say after a change
    made by JavaScript that was not an htmx swap)."""

    def check(page):
        __tracebackhide__ = True
        WATCHES[id(page)].check(force=True)

    return check


@pytest.fixture
def screenshot():
    """Save one full-page screenshot under var/screenshots/ for people to look at."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in():
    """Log in through the real login page."""

    def do_log_in(page, user, password: str = PASSWORD):
        page.goto("/login/")
        page.locator("#id_username").fill(user.email)  # by id: works in every language
        page.locator("#id_password").fill(password)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)

    return do_log_in
