"""The HTML pages, as a browser without JavaScript gets them: search, results, paging, articles."""

from __future__ import annotations

import json
import re
from html import unescape

from searchkit.web.pages import joined_marks

OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"


def _results(html: str) -> list[str]:
    """Titles of the results on a page, in order."""
    return [unescape(t) for t in re.findall(r'class="result-link"[^>]*>([^<]*)</a>', html)]


def test_partial_matches_fill_the_page_after_a_divider_and_a_notice(client):
    html = client.get("/", params={"q": "social credit blacklist"}).text
    assert (
        '<p class="notice">2 articles contain all the words; 16 more contain some of them.</p>'
        in html
    )
    assert html.count('class="partial-divider"') == 1
    divider = html.index('class="partial-divider"')
    before = _results(html[:divider])
    assert len(before) == 2 and len(_results(html)) == 10


def test_a_corrected_search_links_to_the_words_as_typed(client):
    html = client.get("/", params={"q": "sesme credt"}).text
    assert 'href="/?q=sesme+credt&amp;correct=0"' in html
    plain = client.get("/", params={"q": "sesme credt", "correct": "0"}).text
    assert 'class="corrected"' not in plain and "No articles match" in plain
    assert client.get("/", params={"q": "x", "correct": "maybe"}).status_code == 400


def test_home_page_has_the_search_box_stats_and_help(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<form class="search-form" role="search" action="/" method="get"' in html
    assert '<label class="visually-hidden" for="q">Search articles</label>' in html
    assert "24 articles" in html and "22 distinct stories" in html and "8 source files" in html
    assert "Search tips" in html and "<code>&#34;red envelope&#34;</code>" in html
    assert "autofocus" in html


def test_results_show_title_link_byline_snippet_and_copies(client):
    response = client.get("/", params={"q": "social credit blacklist"})
    assert response.status_code == 200
    html = response.text
    assert _results(html)[:2] == [
        OPEN_SESAME,
        "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score",
    ]
    assert 'value="social credit blacklist"' in html  # the query stays in the box
    assert "<strong>18</strong> results for <q>social credit blacklist</q>" in html
    first = html[html.index('class="result"') : html.index("</li>", html.index("1 similar copy"))]
    assert re.search(r'href="/articles/[0-9a-f]{12}\?q=social\+credit\+blacklist"', first)
    assert '<span class="authors">Manya Koetse</span>' in first
    assert '<span class="site">Whatsonweibo</span>' in first
    assert "<mark>blacklist</mark>" in first
    assert "<mark>social credit</mark>" in first.lower()  # adjacent matches: one highlight
    assert "<summary>1 similar copy</summary>" in first
    assert "corpus/003_2ea9e9789186997a.txt</a>" in first
    assert "identical" in first or "% similar" in first


def test_dates_are_shown_and_machine_readable(client):
    html = client.get("/", params={"q": "tencent profit"}).text
    assert '<time datetime="2018-11-14">14 Nov 2018</time>' in html


def test_pagination_walks_every_result_once(client):
    first = client.get("/", params={"q": "china"}).text
    total = int(re.search(r"<strong>(\d+)</strong> results", first).group(1))
    assert total >= 20  # two pages at least
    assert 'aria-label="Page 1, current"' in first and 'aria-current="page"' in first
    assert 'rel="next" href="/?q=china&amp;page=2"' in first
    seen = []
    page = 1
    while True:
        html = client.get("/", params={"q": "china", "page": page}).text
        titles = _results(html)
        if not titles:
            break
        seen.extend(titles)
        page += 1
    assert len(seen) == len(set(seen)) == total
    last = client.get("/", params={"q": "china", "page": page - 1}).text
    assert 'rel="next"' not in last and 'rel="prev"' in last
    assert re.search(r'<ol class="results" start="(\d+)"', last).group(1) == str(
        (page - 2) * 10 + 1
    )


def test_a_page_past_the_end_says_so(client):
    html = client.get("/", params={"q": "china", "page": 40}).text
    assert "No results on page 40" in html
    assert 'href="/?q=china">Back to the first page</a>' in html


def test_filters_show_as_removable_chips_and_ride_along_in_the_form(client):
    html = client.get("/", params={"q": "china", "author": "Manya Koetse", "since": "2018"}).text
    assert "author: Manya Koetse" in html and "since: 2018" in html
    assert 'href="/?q=china&amp;since=2018"' in html  # removing the author keeps the date
    assert 'href="/?q=china&amp;author=Manya+Koetse"' in html
    assert '<input type="hidden" name="author" value="Manya Koetse">' in html
    assert all(t for t in _results(html))


def test_zero_results_are_helpful(client):
    html = client.get("/", params={"q": "xylophonist"}).text
    assert "No articles match <q>xylophonist</q>" in html
    assert 'href="/?q=xylophonist%2A">xylophonist*</a>' in html
    assert "Check the spelling" in html
    assert '<details class="help" open>' in html
    filtered = client.get("/", params={"q": "sesame", "site": "The New York Times"}).text
    assert "with these filters" in filtered
    assert 'href="/?q=sesame">Search all articles, without the filters</a>' in filtered


def test_no_searchable_words_explains_why(client):
    html = client.get("/", params={"q": "the"}).text
    assert "only common words" in html


def test_a_bad_query_is_explained_on_the_page(client):
    response = client.get("/", params={"q": '"open sesame'})
    assert response.status_code == 400
    assert "unbalanced quote (&#34;) in query" in response.text
    assert 'role="alert"' in response.text
    assert 'value="&#34;open sesame"' in response.text


def test_article_page_shows_text_metadata_and_copies(client):
    hit = client.get("/api/search", params={"q": "social credit blacklist"}).json()["hits"][0]
    html = client.get(f"/articles/{hit['id']}", params={"q": "social credit blacklist"}).text
    assert f'<h1 id="article-title">{OPEN_SESAME}</h1>' in html
    assert '<p class="kicker">China Digital</p>' in html
    assert '<span class="authors">Manya Koetse</span>' in html
    assert "<p>Chinese <mark>social credit</mark> system has become a hot topic" in html
    assert html.count("<p>") > 10  # paragraphs, not one blob
    assert "Other copies of this story" in html and "Saved 2 times" in html
    copy = hit["duplicates"][0]
    assert f'href="/articles/{copy["id"]}?q=social+credit+blacklist">corpus/003_' in html
    assert 'href="/?q=social+credit+blacklist">← Results for <q>social credit blacklist</q>' in html
    # The copy's page points back to the copy that search shows.
    copy_html = client.get(f"/articles/{copy['id']}").text
    assert "Copies of this story" in copy_html and "shown in results" in copy_html
    assert f'href="/articles/{hit["id"]}"' in copy_html


def test_unknown_article_page_is_a_404_page(client):
    response = client.get("/articles/0123456789ab")
    assert response.status_code == 404
    assert "No such article" in response.text
    assert 'href="/">Start a new search</a>' in response.text


def test_static_assets_are_ours_and_cacheable(client):
    html = client.get("/").text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {a.split("?")[0] for a in assets} >= {
        "/static/app.css",
        "/static/app.js",
        "/static/favicon.svg",
        "/static/fonts/inter-latin-wght-normal.woff2",
    }
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert "immutable" in response.headers["cache-control"]
    css = client.get("/static/app.css").text
    assert "http:" not in css and "https:" not in css  # no font or image from elsewhere
    for font in re.findall(r'url\("([^"]+)"\)', css):
        assert client.get(f"/static/{font}").status_code == 200, font


def test_joined_marks_merges_only_space_separated_matches():
    spans = [("a ", False), ("social", True), (" ", False), ("credit", True), (", ", False)]
    assert joined_marks(spans) == [("a ", False), ("social credit", True), (", ", False)]
    apart = [("social", True), (" and ", False), ("credit", True)]
    assert joined_marks(apart) == apart


# --- facets, sort, did you mean, similar articles ----------------------------------------------------


def _facet_links(html: str, facet: str) -> dict[str, tuple[str, int]]:
    """value -> (href, count) for one facet of the sidebar."""
    section = html[html.index(f'id="facet-{facet}"') :]
    section = section[: section.index("</section>")]
    found = re.findall(
        r'<a href="([^"]+)"[^>]*><span class="facet-value">([^<]*)</span>'
        r'<span class="facet-count" aria-hidden="true">(\d+)</span>',
        section,
    )
    return {unescape(value): (unescape(href), int(count)) for href, value, count in found}


def test_facet_sidebar_shows_counts_and_applies_a_value(client):
    html = client.get("/", params={"q": "china"}).text
    for facet, title in (("site", "Site"), ("author", "Author"), ("year", "Year")):
        assert f'<h2 id="facet-{facet}">{title}</h2>' in html
    sites = _facet_links(html, "site")
    href, count = sites["The New York Times"]
    assert href == "/?q=china&site=The+New+York+Times"
    narrowed = client.get(href).text
    assert f"<strong>{count}</strong> result" in narrowed
    assert set(re.findall(r'<span class="site">([^<]*)</span>', narrowed)) == {"The New York Times"}
    # The applied value is marked, and its link takes the filter off again.
    active = re.search(r'<a href="([^"]+)" class="active" aria-current="true"', narrowed)
    assert active and unescape(active.group(1)) == "/?q=china"
    assert "site: The New York Times" in narrowed  # and a chip


def test_years_list_newest_first_and_filter(client):
    html = client.get("/", params={"q": "china"}).text
    years = _facet_links(html, "year")
    assert list(years) == sorted(years, reverse=True)
    href, count = years["2019"]
    data = client.get("/api/search", params={"q": "china", "year": 2019}).json()
    assert data["total"] == count
    assert "year: 2019" in client.get(href).text


def test_choosing_an_author_replaces_the_author_filter(client):
    html = client.get("/", params={"q": "china", "author": "Manya Koetse"}).text
    authors = _facet_links(html, "author")
    other = next(name for name in authors if name != "Manya Koetse")
    assert authors[other][0] == f"/?q=china&author={other.replace(' ', '+')}"
    assert authors["Manya Koetse"][0] == "/?q=china"


def test_sort_links_and_date_order(client):
    html = client.get("/", params={"q": "china", "sort": "newest"}).text
    assert '<a href="/?q=china&amp;sort=newest" aria-current="true"' in html
    assert 'href="/?q=china" aria-label="Sort by relevance">Relevance</a>' in html
    years = [int(y[:4]) for y in re.findall(r'<time datetime="([^"]+)"', html)]
    assert years == sorted(years, reverse=True) and len(years) >= 8
    oldest = client.get("/", params={"q": "china", "sort": "oldest"}).text
    dates = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)"', oldest)
    assert dates == sorted(dates)


def test_did_you_mean(client):
    html = client.get("/", params={"q": "sesme credt"}).text
    assert (
        'Showing results for <a href="/?q=sesame+credit"><strong>sesame credit</strong></a>' in html
    )
    assert "<q>sesme credt</q>, matched fewer articles" in html
    assert 'value="sesme credt"' in html  # the box keeps what was typed
    assert "Insights into Sesame Credit" in html


def test_article_page_lists_similar_articles(client):
    hit = client.get("/api/search", params={"q": "social credit blacklist"}).json()["hits"][0]
    html = client.get(f"/articles/{hit['id']}").text
    section = html[html.index("<h2>Similar articles</h2>") :]
    titles = [
        unescape(t) for t in re.findall(r'<a href="/articles/[0-9a-f]{12}">([^<]*)</a>', section)
    ]
    assert titles[0] == "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score"
    assert OPEN_SESAME not in titles and len(titles) == 5


def test_the_saved_copy_downloads_sandboxed_never_inline(client, web_store):
    from pathlib import Path

    from searchkit import library

    hit = client.get("/api/search", params={"q": "sesame credit"}).json()["hits"][0]
    response = client.get(f"/articles/{hit['id']}/saved")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-security-policy"].endswith("; sandbox")
    with library.open(web_store.path) as index:
        assert response.content == Path(index.saved_copy(hit["id"])).read_bytes()
    article = client.get(f"/articles/{hit['id']}").text
    assert f'href="/articles/{hit["id"]}/saved" download' in article


def test_a_hostile_file_name_stays_inside_its_download_header(client, hostile_id):
    refs = client.get(f"/api/articles/{hostile_id}").json()["duplicates"]
    for article_id in [hostile_id, *(r["id"] for r in refs)]:
        response = client.get(f"/articles/{article_id}/saved")
        assert response.status_code == 200
        disposition = response.headers["content-disposition"]
        assert disposition in (
            "attachment; filename*=utf-8''%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%285%29%3E.txt",
            'attachment; filename="hostile.txt"',
        )


def test_a_saved_copy_that_is_gone_is_a_404_page(tmp_path):
    from starlette.testclient import TestClient

    from searchkit import library
    from searchkit.index.generations import IndexStore
    from searchkit.web.app import create_app

    pages = tmp_path / "pages"
    pages.mkdir()
    page = pages / "story.txt"
    page.write_text("A story\n\n" + "A story about a saved page that will be deleted. " * 5)
    library.update_index([pages], tmp_path / "ix")
    with TestClient(create_app(IndexStore(tmp_path / "ix")), base_url="http://localhost") as c:
        story = c.get("/api/search", params={"q": "story"}).json()["hits"][0]["id"]
        assert c.get(f"/articles/{story}/saved").status_code == 200
        page.unlink()
        gone = c.get(f"/articles/{story}/saved")
        assert gone.status_code == 404
        assert "is no longer in the indexed folders" in gone.text
        assert c.get("/articles/0123456789ab/saved").status_code == 404


def test_results_export_as_csv_or_json_lines_with_the_page_filters(client):
    page = client.get("/", params={"q": "sesame", "site": "Whatsonweibo"}).text
    assert 'href="/export?q=sesame&amp;site=Whatsonweibo&amp;format=csv" download' in page
    shown = client.get("/api/search", params={"q": "sesame", "site": "Whatsonweibo"}).json()
    response = client.get(
        "/export", params={"q": "sesame", "site": "Whatsonweibo", "format": "jsonl"}
    )
    assert response.status_code == 200
    assert (
        response.headers["content-disposition"] == 'attachment; filename="searchkit-export.jsonl"'
    )
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [r["id"] for r in lines] == [h["id"] for h in shown["hits"]]
    csv_export = client.get("/export", params={"q": "sesame", "format": "csv"})
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert client.get("/export", params={"q": "sesame", "format": "xml"}).status_code == 400


def test_the_article_view_marks_the_searched_words_and_escapes_the_rest(client, hostile_id):
    hit = client.get("/api/search", params={"q": "blacklist"}).json()["hits"][0]
    marked = client.get(f"/articles/{hit['id']}", params={"q": "blacklist"}).text
    body = marked[marked.index('class="article-text"') :]
    assert body.count("<mark>") >= 2 and "<mark>blacklist</mark>" in body.lower()
    plain = client.get(f"/articles/{hit['id']}").text
    assert "<mark>" not in plain[plain.index('class="article-text"') :]
    hostile = client.get(f"/articles/{hostile_id}", params={"q": "zanzibar"}).text
    assert "<mark>" in hostile and "<script>alert" not in hostile
    assert client.get(f"/articles/{hit['id']}", params={"q": '"unclosed'}).status_code == 200


def test_a_date_range_form_and_results_per_page_keep_the_other_parameters(client):
    page = client.get("/", params={"q": "china", "site": "Whatsonweibo", "sort": "newest"}).text
    form = page[page.index('class="facet date-range"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="q" value="china">' in form
    assert '<input type="hidden" name="site" value="Whatsonweibo">' in form
    assert '<input type="hidden" name="sort" value="newest">' in form
    assert 'name="since"' in form and 'name="until"' in form
    ranged = client.get("/api/search", params={"q": "china", "since": "2019", "until": "2019-12"})
    dates = [h["date"] for h in ranged.json()["hits"]]
    # undated ones are known by a year inside the range (a copyright line)
    assert any(dates) and all(d is None or d.startswith("2019") for d in dates)
    wide = client.get("/", params={"q": "china", "sort": "newest"}).text
    assert 'href="/?q=china&amp;sort=newest&amp;limit=20"' in wide
    twenty = client.get("/", params={"q": "china", "limit": "20"}).text
    assert len(_results(twenty)) == 20
    assert 'aria-current="true" aria-label="20 results per page"' in twenty


def test_the_status_page_lists_folders_counts_and_skipped_files(tmp_path):
    from starlette.testclient import TestClient

    from searchkit import library
    from searchkit.index.generations import IndexStore
    from searchkit.web.app import create_app

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "story.txt").write_text("A story\n\n" + "A story about tides and the moon. " * 5)
    (pages / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not text")
    library.update_index([pages], tmp_path / "ix")
    with TestClient(create_app(IndexStore(tmp_path / "ix")), base_url="http://localhost") as c:
        page = c.get("/status")
        home = c.get("/").text
    assert page.status_code == 200
    html = page.text
    assert f'<td class="source">{pages}</td><td>1</td><td>1</td><td>present</td>' in html
    assert "1 article, 1 distinct story, 0 saved copies, from 1 file" in html
    assert '<span class="source">pages/photo.jpg</span>: unsupported file type (.jpg)' in html
    assert '<a href="/status">Index status</a>' in home
    assert '<a href="/status">last changed <time datetime="' in home  # when the index last changed
