"""The page in a real browser: Debian's chromium driven by Playwright, against `searchkit serve`.

A user types a query and sees highlighted results, opens an article with the keyboard, pages, and
filters; the same works with JavaScript off; hostile articles show as text and run nothing; text
has enough contrast in light and dark mode; the page fits a phone. Screenshots of the results page
go to test-results/web/ (look at them).

Chromium must be installed (.ci/run installs it): when it is missing this test fails, it does not
skip. Playwright's own browser download is not used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.web.conftest import HOSTILE_RECORD, HOSTILE_TITLE, ROOT, ServerProcess, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = ROOT / "test-results" / "web"
OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"


@pytest.fixture(scope="module")
def server(web_store, tmp_path_factory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("browser") / "server.log"
    with running_server(web_store.path, log) as running:
        yield running
    assert "Traceback" not in running.output(), running.output()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; "
        ".ci/run does this). The browser test never skips."
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary user-data-dir.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Watch:
    """What a page did that it must not: console errors (CSP reports among them), dialogs
    (an ``alert`` from a document), and requests that left our server."""

    def __init__(self, page: Page, origin: str) -> None:
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on(
            "request",
            lambda r: (
                r.url.startswith((origin, "data:"))
                or self.problems.append(f"request elsewhere: {r.url}")
            ),
        )


@pytest.fixture()
def page(browser: Browser, server: ServerProcess) -> Iterator[tuple[Page, Watch]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    watch = Watch(opened, server.url)
    yield opened, watch
    context.close()
    assert watch.problems == []


def test_did_you_mean_and_similar_articles(page, server):
    page, _ = page
    page.goto(server.url + "/?q=sesme+credt")
    expect(page.locator(".corrected")).to_contain_text("Showing results for sesame credit")
    instead = page.locator(".corrected .instead a")
    expect(instead).to_have_text("sesme credt")
    expect(instead).to_have_attribute("href", "/?q=sesme+credt&correct=0")
    expect(page.locator(".result mark").first).to_be_visible()
    page.get_by_role("link", name="Open Sesame: Social Credit in China as Gate").click()
    similar = page.locator(".similar-list a")
    expect(similar.first).to_have_text(
        "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score"
    )
    similar.first.click()
    expect(page.locator("h1")).to_have_text(
        "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score"
    )


def test_type_a_query_see_highlights_open_an_article_by_keyboard(page, server):
    page, _ = page
    page.goto(server.url + "/")
    box = page.get_by_role("searchbox", name="Search articles")
    expect(box).to_be_focused()  # the home page puts the cursor in the box
    box.press_sequentially("social credit blacklist", delay=25)
    # Search as you type: results appear without submitting, and the URL follows.
    first = page.locator(".result-link").first
    expect(first).to_have_text(OPEN_SESAME)
    expect(page).to_have_url(re.compile(r"/\?q=social\+credit\+blacklist$"))
    marks = page.locator(".result").first.locator("mark")
    assert marks.count() >= 2
    assert {m.lower() for m in marks.all_inner_texts()} >= {"blacklist", "social credit"}
    expect(page.locator("#result-count")).to_contain_text("18 results for")
    # two articles hold every word; the ones with some of them follow below a divider
    expect(page.locator(".notice").first).to_contain_text("2 articles contain all the words")
    divider = page.locator(".result").nth(2).locator(".partial-divider")
    expect(divider).to_have_text("Articles with some of the words")
    copies = page.locator(".result").first.locator("details.copies")
    copies.locator("summary").click()
    expect(copies.locator("li")).to_have_text(re.compile(r"corpus/003_2ea9e9789186997a\.txt"))
    page.screenshot(path=OUTPUT / "results.png", full_page=True)

    box.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator(".result-link").nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(OPEN_SESAME)
    expect(page.locator(".article-text p").first).to_contain_text("social credit system")
    expect(page.get_by_text("Other copies of this story")).to_be_visible()
    page.screenshot(path=OUTPUT / "article.png")
    page.get_by_role("link", name=re.compile("Results for")).click()
    expect(page.locator(".result-link").first).to_have_text(OPEN_SESAME)
    page.keyboard.press("/")
    expect(box).to_be_focused()


def test_paging_and_filtering(page, server):
    page, _ = page
    page.goto(server.url + "/?q=china")
    expect(page.locator("#result-count")).to_contain_text("20 results")
    first_page = page.locator(".result-link").all_inner_texts()
    assert len(first_page) == 10
    page.get_by_role("link", name="Page 2").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("ol.results")).to_have_attribute("start", "11")
    second_page = page.locator(".result-link").all_inner_texts()
    assert len(second_page) == 10 and not set(first_page) & set(second_page)
    expect(page.get_by_role("link", name="Page 2, current")).to_have_attribute(
        "aria-current", "page"
    )
    # A facet narrows the results to as many as it counted, and shows as a chip.
    facet = page.locator("#facet-author + ul a", has_text="Manya Koetse")
    expected = int(facet.locator(".facet-count").inner_text())
    facet.click()
    expect(page).to_have_url(re.compile(r"author=Manya\+Koetse"))
    expect(page.locator("#result-count")).to_contain_text(f"{expected} result")
    authors = page.locator(".result .authors").all_inner_texts()
    assert len(authors) == expected and all("Manya Koetse" in a for a in authors)
    # Sorted newest first, then the filter taken off again with its chip.
    page.get_by_role("link", name="Sort by newest").click()
    expect(page.get_by_role("link", name="Sort by newest")).to_have_attribute(
        "aria-current", "true"
    )
    years = [
        int(t[:4])
        for t in page.locator(".result time").evaluate_all(
            "els => els.map(e => e.getAttribute('datetime'))"
        )
    ]
    assert years == sorted(years, reverse=True)
    page.get_by_role("link", name="Remove filter author Manya Koetse").click()
    expect(page.locator("#result-count")).to_contain_text("20 results")
    page.screenshot(path=OUTPUT / "results-sorted.png")


def test_the_page_works_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url + "/")
    box = page.get_by_role("searchbox", name="Search articles")
    box.fill("china")
    box.press("Enter")  # a plain form submission
    expect(page).to_have_url(re.compile(r"/\?q=china$"))
    expect(page.locator(".result-link")).to_have_count(10)
    page.get_by_role("link", name="Next ›").click()
    expect(page.locator("ol.results")).to_have_attribute("start", "11")
    page.locator(".result-link").first.click()
    expect(page.locator("h1#article-title")).to_be_visible()
    context.close()


def test_hostile_articles_show_as_text_and_run_nothing(page, server):
    page, watch = page
    page.goto(server.url + "/?q=zanzibar")
    expect(page.locator(".result-link")).to_have_text(HOSTILE_TITLE)
    expect(page.locator(".result .site")).to_have_text('Evil"Site<script>')
    expect(page.locator(".result .source")).to_contain_text("<img src=x onerror=alert(5)>")
    page.locator(".result-link").click()
    expect(page.locator("h1")).to_have_text(HOSTILE_TITLE)
    expect(page.locator(".article-text")).to_contain_text('<script>alert("body")</script>')
    # An exported record's names and section, too.
    page.goto(server.url + "/?q=yottabyte")
    expect(page.locator(".result-link")).to_have_text(HOSTILE_RECORD["title"])
    expect(page.locator(".result .authors")).to_have_text(", ".join(HOSTILE_RECORD["authors"]))
    page.locator(".result-link").click()
    expect(page.locator(".kicker")).to_have_text(HOSTILE_RECORD["category"])
    # A query full of markup is shown back as typed, and runs nothing either.
    page.goto(server.url + '/?q=%3Cscript%3Ealert("q")%3C/script%3E')
    expect(page.get_by_role("searchbox")).to_have_value('<script>alert("q")</script>')
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert watch.problems == []  # no alert() dialog, no CSP violation, nothing fetched elsewhere


CONTRAST = """
(selectors) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0.9) return c;
    }
    return [255, 255, 255];
  };
  const out = {};
  for (const sel of selectors) {
    const el = document.querySelector(sel);
    if (!el) { out[sel] = null; continue; }
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out;
}
"""
CHECKED = [
    "body",
    ".result-link",
    ".byline",
    ".byline .authors",
    ".snippet",
    ".snippet mark",
    ".source",
    ".count",
    ".copies summary",
    ".search-box input",
    ".search-box button",
    ".pagination a",
    ".pagination a[aria-current=page]",
    ".help summary",
    ".site-footer",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_meets_wcag_aa(browser, server, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(server.url + "/?q=china")  # paged, with a cluster of copies
    ratios = page.evaluate(CONTRAST, CHECKED)
    context.close()
    assert [sel for sel, r in ratios.items() if r is None] == []
    low = {sel: round(r, 2) for sel, r in ratios.items() if r < 4.5}
    assert low == {}, f"below 4.5:1 in {scheme} mode: {low}"


def test_keyboard_focus_order_starts_with_the_skip_link(page, server):
    page, _ = page
    page.goto(server.url + "/?q=china")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to results")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # After skipping, the next stop is inside the results, not back in the header.
    assert page.evaluate("document.activeElement.closest('#main') !== null")


def test_usable_at_phone_width(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    for url in ("/?q=social+credit+blacklist", "/?q=zanzibar", "/"):
        page.goto(server.url + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at phone width"
    page.goto(server.url + "/?q=social+credit+blacklist")
    expect(page.get_by_role("button", name="Search")).to_be_in_viewport()
    page.screenshot(path=OUTPUT / "results-phone.png")
    page.locator(".result-link").first.click()
    expect(page.locator("h1#article-title")).to_have_text(OPEN_SESAME)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()


def test_question_mark_opens_and_closes_the_search_tips(page, server):
    page, _ = page
    page.goto(server.url + "/?q=sesame")
    help_box = page.locator("details.help").first
    expect(help_box).not_to_have_attribute("open", "")
    page.evaluate("document.activeElement.blur()")  # in the search box, "?" is a character
    page.keyboard.press("?")
    expect(help_box).to_have_attribute("open", "")
    expect(help_box.locator(".keys")).to_contain_text("these tips")
    page.keyboard.press("?")
    expect(help_box).not_to_have_attribute("open", "")


def test_a_date_range_narrows_the_results_and_keeps_the_query(page, server):
    page, _ = page
    page.goto(server.url + "/?q=china")
    form = page.locator(".date-range form")
    form.locator("input[name=since]").fill("2019")
    form.locator("input[name=until]").fill("2019-12-31")
    form.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/\?q=china&since=2019&until=2019-12-31$"))
    expect(page.locator("#result-count")).to_contain_text("for")
    expect(page.locator(".date-range input[name=since]")).to_have_value("2019")
