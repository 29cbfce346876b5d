"""The report in a real browser: Debian's Chromium, headless, through Playwright, from file://.

A report of a real quick run of Q-minmax, with two graded sheets whose quotes
carry a <script> and an <img onerror>. Checks: no console errors, every image
loads, every stored claim id shows, the status filter works, printing shows
every claim, and sheet text is shown as text and never runs. Screenshots go to
test-artifacts/ (gitignored; CI keeps them).

Chromium comes from the OS (``scripts/install-chromium.sh``, run by ``make test``),
never from ``playwright install``. Without it this test fails, saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlclaims.core.store import Store
from dlclaims.report import write_report

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EVIL = ["<script>window.__pwned = 1</script>", '<img src=x onerror="window.__pwned = 2">']


def _finding(claim: str, quote: str, grade: str) -> dict:
    return {"question": "Q-minmax", "claim": claim, "quote": quote, "says": quote, "verdict": "refuted",
            "grade": grade, "evidence": {"rule": "measured", "report": f"index.html#{claim}"}}


@pytest.fixture(scope="module")
def report(tmp_path_factory, quick_store):
    root = tmp_path_factory.mktemp("browser")
    store_path = quick_store.copy_to(root, "Q-minmax")
    with Store.open(store_path) as store:
        store.put_check("evil-1.md", {"sheet": "evil-1.md", "score": 0.5, "findings": [
            _finding("minmax.small-step", EVIL[0], "wrong"), _finding("minmax.table", EVIL[1], "right")]})
        store.put_check("evil-2.md", {"sheet": "evil-2.md", "score": 1.0, "findings": [
            _finding("minmax.table", "plain words " + EVIL[1], "right")]})
        claims = [v.claim for v in store.latest_verdicts()]
    paths = write_report(store_path, None)
    return paths, claims


@pytest.fixture(scope="module")
def feedback(tmp_path_factory, quick_store):
    """`dlclaims check SHEET --out DIR` on a real store: feedback pages with the report written beside them."""
    from dlclaims.cli import main

    root = tmp_path_factory.mktemp("feedback")
    store_path = quick_store.copy_to(root, "Q-minmax", "scalar")
    sheet = root / "alice.md"
    sheet.write_text("## Question 4\nloss.backward() needs a scalar output, otherwise it raises.\n"
                     "## Minmax\nWith eta = 1 alternating updates cycle with period 6. A smaller step size "
                     "makes gradient play converge.\n")
    assert main(["check", str(sheet), "--store", str(store_path), "--out", str(root / "fb")]) == 0
    return root / "fb"


def _missing() -> str | None:
    """Why the browser cannot run here, or None. The tests then fail (never skip): CI installs it."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: install Debian's chromium (bash scripts/install-chromium.sh, "
                "or apt-get install chromium); never `playwright install`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[dev]'"
    return None


@pytest.fixture(scope="module")
def browser():
    if _missing():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def need(browser):
    why = _missing()
    if why:
        pytest.fail(why, pytrace=False)
    return browser


class Page:
    """A page that records console errors, page errors and dialogs."""

    def __init__(self, browser, url: str) -> None:
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        self.page.close()


def test_report_loads_clean_with_every_image_and_claim(report, browser):
    paths, claims = report
    p = Page(need(browser), paths.html.as_uri())
    try:
        images = p.page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.complete, "
                                             "e.naturalWidth])")
        assert images, "the report shows no figure"
        assert all(ok and w > 0 for _, ok, w in images), f"images that did not load: {images}"
        text = p.page.inner_text("body")
        for c in claims:
            assert c in text, f"claim {c} missing from the page"
            assert p.page.locator(f'tr.claim[id="{c}"]').count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        p.page.screenshot(path=str(ARTIFACTS / "report.png"))
        p.page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
        assert p.errors == []
    finally:
        p.close()


def test_status_filter_hides_and_shows_claims(report, browser):
    paths, _ = report
    p = Page(need(browser), paths.html.as_uri())
    try:
        pg = p.page
        assert pg.is_visible("#filter")
        statuses = pg.eval_on_selector_all("tr.claim", "els => els.map(e => e.dataset.status)")
        assert "supported" in statuses and len(set(statuses)) > 1

        def visible() -> list[str]:
            return pg.eval_on_selector_all("tr.claim", "els => els.filter(e => e.offsetParent !== null)"
                                           ".map(e => e.dataset.status)")

        assert len(visible()) == len(statuses)
        pg.uncheck('#filter input[data-status="supported"]')
        shown = visible()
        assert "supported" not in shown and len(shown) == len(statuses) - statuses.count("supported")
        assert pg.inner_text("#filter-count") == f"showing {len(shown)} of {len(statuses)} claims"
        assert pg.locator('td.dim[data-status="supported"]').count() == statuses.count("supported")
        pg.uncheck('#filter input[data-status="not run"]')
        assert set(visible()) == set(statuses) - {"supported", "not run"}
        pg.emulate_media(media="print")  # printing shows every claim whatever the filter
        assert len(visible()) == len(statuses)
        pg.emulate_media(media="screen")
        pg.click("#filter-all")
        assert len(visible()) == len(statuses)
        assert p.errors == []
    finally:
        p.close()


def test_sheet_quotes_show_as_text_and_never_run(report, browser):
    paths, _ = report
    browser = need(browser)
    pages = sorted((paths.folder / "sheets").glob("*.html"))
    assert {q.name for q in pages} == {"evil-1.html", "evil-2.html", "class-summary.html"}
    for path in pages:
        p = Page(browser, path.as_uri())
        try:
            assert p.page.evaluate("typeof window.__pwned") == "undefined"
            assert p.page.locator("script").count() == 0  # sheet pages carry no script at all
            text = p.page.inner_text("body")
            if path.stem == "evil-1":
                assert EVIL[0] in text and EVIL[1] in text
                assert p.page.locator("blockquote.quote img").count() == 0
                p.page.screenshot(path=str(ARTIFACTS / "sheet.png"), full_page=True)
            assert p.errors == [], (path.name, p.errors)
        finally:
            p.close()
    p = Page(browser, paths.html.as_uri())
    try:
        p.page.click('a[href="sheets/evil-1.html"]')
        p.page.wait_for_load_state("load")
        assert p.page.evaluate("typeof window.__pwned") == "undefined"
        p.page.click('a[href="../index.html#minmax.small-step"]')
        p.page.wait_for_load_state("load")
        assert p.page.url.endswith("index.html#minmax.small-step")
        assert p.errors == []
    finally:
        p.close()


LINKS = """els => els.map(a => [a.getAttribute('href'), a.href])"""


def _check_links(page, path: Path) -> int:
    """Every link of the page resolves: an in-page anchor names an element, a file link an existing file."""
    n = 0
    for raw, absolute in page.eval_on_selector_all("a[href]", LINKS):
        n += 1
        target, _, anchor = absolute.partition("#")
        if raw.startswith("#"):
            assert page.locator(f'[id="{anchor}"]').count() == 1, f"{path.name}: no element for {raw}"
            continue
        assert target.startswith("file://"), f"{path.name}: a link out of the folder: {raw}"
        from urllib.parse import unquote, urlparse

        file = Path(unquote(urlparse(target).path))
        assert file.exists(), f"{path.name}: {raw} does not resolve ({file})"
        if anchor and file.suffix == ".html":
            assert f'id="{anchor}"' in file.read_text(), f"{path.name}: {raw}: no such anchor in {file.name}"
    return n


def test_every_link_of_the_report_resolves_and_details_open_on_a_figure_link(report, browser):
    paths, _ = report
    p = Page(need(browser), paths.html.as_uri())
    try:
        assert _check_links(p.page, paths.html) > 10
        details = p.page.locator("details.qdetails")
        assert details.count() > 0 and p.page.locator("details.qdetails[open]").count() == 0  # collapsed
        fig = p.page.locator("table.verdicts a[href^='#fig-']").first
        href = fig.get_attribute("href")
        fig.click()
        p.page.wait_for_timeout(200)
        assert p.page.locator(f"{href}").is_visible(), "a figure link must open the details that hold it"
        p.page.screenshot(path=str(ARTIFACTS / "report-figure.png"))
        assert p.errors == []
    finally:
        p.close()


def test_feedback_page_shows_figures_links_resolve_and_nothing_overflows(feedback, browser):
    browser = need(browser)
    page_path = feedback / "alice.html"
    p = Page(browser, page_path.as_uri())
    try:
        pg = p.page
        assert _check_links(pg, page_path) > 0
        assert pg.locator("a[href^='report/index.html#']").count() > 0  # links into the report beside it
        images = pg.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.complete, "
                                         "e.naturalWidth])")
        assert images and all(ok and w > 0 for _, ok, w in images), images
        for d in pg.locator("details").all():
            d.evaluate("d => d.open = true")
        overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
        text = pg.inner_text("body")
        assert "Why this grade." in text and "The sheet claims that" in text
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "feedback.png"), full_page=True)
        assert p.errors == []
    finally:
        p.close()
    p = Page(browser, (feedback / "report" / "index.html").as_uri())
    try:
        assert _check_links(p.page, feedback / "report" / "index.html") > 10
    finally:
        p.close()
