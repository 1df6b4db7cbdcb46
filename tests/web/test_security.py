"""Security of the web layer, each point tried with hostile input.

- Documents are untrusted: markup in titles, standfirsts, sites, text and file names is escaped.
- A Content-Security-Policy (no inline script) and friends on every response; no inline handlers.
- Articles are addressed by index id only, never by a path.
- Limits on q, limit and page; bad parameters get a 400 with a JSON error.
- No client input yields a 500 (a curated list of nasty queries, then Hypothesis fuzzing).
- Only localhost names in the Host header (DNS rebinding).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.web.app import CONTENT_SECURITY_POLICY
from tests.web.conftest import (
    HOSTILE_FILE,
    HOSTILE_RECORD,
    HOSTILE_SITE,
    HOSTILE_SUMMARY,
    HOSTILE_TITLE,
)


class _Markup(HTMLParser):
    """Collects what a page would execute: script tags, event-handler and style attributes, URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag == "style":
            self.styles.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name == "style":
                self.styles.append(f"{tag}[style]")
            if name in ("href", "src", "action") and value:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Markup:
    markup = _Markup()
    markup.feed(html)
    return markup


def assert_inert(html: str) -> _Markup:
    """The page runs only our own script file and has no inline code, handlers or styles."""
    markup = parse(html)
    assert markup.handlers == []
    assert markup.styles == []
    assert [s.get("src", "").split("?")[0] for s in markup.scripts] == ["/static/app.js"]
    for url in markup.urls:
        assert url.startswith(("/", "#")), url  # nothing from elsewhere, no javascript: URLs
    return markup


# --- documents are escaped -----------------------------------------------------------------------


def test_hostile_article_in_results_shows_as_text(client, hostile_id):
    response = client.get("/", params={"q": "zanzibar"})
    assert response.status_code == 200
    markup = assert_inert(response.text)
    text = "".join(markup.text)
    assert HOSTILE_TITLE in text  # shown, as text
    assert HOSTILE_SITE in text
    assert f"corpus/{HOSTILE_FILE}" in text
    assert '<script>alert("title")' not in response.text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in response.text
    assert "<img" not in response.text
    assert '<script>alert("body")' not in response.text  # the snippet is escaped too
    assert "&lt;/mark&gt;&lt;mark&gt;" in response.text  # a document cannot close our <mark>
    # Facet values come from documents too: escaped as text, URL-encoded in links.
    assert 'href="/?q=zanzibar&amp;site=Evil%22Site%3Cscript%3E"' in response.text


def test_hostile_article_page_shows_as_text(client, hostile_id):
    response = client.get(f"/articles/{hostile_id}")
    assert response.status_code == 200
    markup = assert_inert(response.text)
    text = "".join(markup.text)
    for shown in (HOSTILE_TITLE, HOSTILE_SUMMARY, HOSTILE_SITE, '<script>alert("body")</script>'):
        assert shown in text
    assert "<title>Hostile &lt;script&gt;" in response.text
    assert "<img" not in response.text  # our pages have no <img>: each one here was a document's


def test_hostile_record_names_and_sections_show_as_text(client, hostile_record_id):
    for url, params in (
        ("/", {"q": "yottabyte"}),
        (f"/articles/{hostile_record_id}", {"q": "yottabyte"}),
        ("/", {"q": "yottabyte", "author": HOSTILE_RECORD["authors"][0]}),
    ):
        response = client.get(url, params=params)
        assert response.status_code == 200
        text = "".join(assert_inert(response.text).text)
        assert "<img" not in response.text and "<svg onload" not in response.text
        assert "</title><script>" not in response.text
        assert HOSTILE_RECORD["authors"][0] in text
        assert "javascript:" not in "".join(parse(response.text).urls)
    article_text = "".join(parse(client.get(f"/articles/{hostile_record_id}").text).text)
    for shown in (
        HOSTILE_RECORD["title"],
        HOSTILE_RECORD["category"],
        "<b>tag</b>",
        "Eve <Hacker>",
    ):
        assert shown in article_text


def test_hostile_query_is_escaped_wherever_it_is_echoed(client):
    q = '<script>alert("q")</script> "><img src=x onerror=alert(2)>'
    for params in (
        {"q": q},
        {"q": q + ' "'},
        {"q": "china", "sort": q},
        {"q": "x", "site": q},
        {"q": "china", "author": q, "category": q},
        {"q": "china", "year": q},
    ):
        response = client.get("/", params=params)
        assert response.status_code in (200, 400)
        assert_inert(response.text)
        assert "<script>alert" not in response.text
        assert "<img src=x" not in response.text


def test_api_snippets_are_escaped_html(client, hostile_id):
    data = client.get("/api/search", params={"q": "zanzibar"}).json()
    hit = data["hits"][0]
    assert hit["title"] == HOSTILE_TITLE  # JSON carries the data as it is …
    assert (
        "&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;" in hit["snippet"]
    )  # … HTML is escaped
    assert "<script>" not in hit["snippet"]
    assert "&lt;/mark&gt;&lt;mark&gt;" in hit["snippet"]


def test_json_is_never_sniffed_as_html(client):
    response = client.get("/api/search", params={"q": "<script>alert(1)</script>"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?q=china",
        "/?q=%22",
        "/api/search?q=china",
        "/api/search?limit=-1",
        "/api/openapi.json",
        "/healthz",
        "/static/app.css",
        "/articles/zzz",
        "/no/such/page",
        "/api/no/such/endpoint",
    ],
)
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_server_error_is_generic_and_keeps_the_headers(lenient_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /etc/shadow")

    monkeypatch.setattr("searchkit.query.searcher.Searcher.search", broken)
    for url, kind in (("/api/search?q=china", "json"), ("/?q=china", "html")):
        response = lenient_client.get(url)
        assert response.status_code == 500
        assert "secret internals" not in response.text
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        if kind == "json":
            assert response.json()["status"] == 500


# --- articles by id only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/articles/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/articles/%2e%2e%2fpyproject.toml",
        "/api/articles/....%2f%2fetc%2fpasswd",
        "/api/articles/corpus%2Fhostile.txt",
        "/api/articles/hostile.txt",
        "/api/articles/%2Fetc%2Fpasswd",
        "/api/articles/6d78",  # a prefix: the CLI takes one, the web only takes whole ids
        "/api/articles/6D785DEDEA4B",
        "/api/articles/..%2F..%2Fetc%2Fpasswd/similar",
        "/api/articles/hostile.txt/similar",
        "/articles/..%2F..%2Fpyproject.toml",
        "/articles/%2Fetc%2Fpasswd",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/../app.py",
        "/static/fonts/../../app.py",
    ],
)
def test_no_path_reaches_the_filesystem(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), response.status_code
    assert "root:x:0:0" not in response.text
    assert "[build-system]" not in response.text
    assert "create_app" not in response.text
    if path.startswith("/api/"):
        assert response.json()["status"] == response.status_code


def test_an_article_is_found_by_its_id_only(client, hostile_id):
    assert client.get(f"/api/articles/{hostile_id}").status_code == 200
    bad = client.get(f"/api/articles/{hostile_id}x")
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("not an article id")


# --- limits and bad parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"q": "a" * 1001}, "q", "query too long (1001 characters; the limit is 1000)"),
        ({"q": "spam " * 6000}, "q", "query too long"),
        ({}, "q", "missing query: add ?q=words"),
        ({"q": "   "}, "q", "missing query"),
        ({"q": "spam\x00<script>"}, "q", "the query contains a NUL character"),
        ({"q": "china", "limit": "101"}, "limit", "limit must be a whole number from 1 to 100"),
        ({"q": "china", "limit": "0"}, "limit", "limit must be a whole number"),
        ({"q": "china", "limit": "-5"}, "limit", "limit must be a whole number"),
        ({"q": "china", "limit": "1e3"}, "limit", "limit must be a whole number"),
        ({"q": "china", "limit": "９"}, "limit", "limit must be a whole number"),
        ({"q": "china", "page": "1001"}, "page", "page must be a whole number from 1 to 1000"),
        ({"q": "china", "page": "9" * 40}, "page", "page must be a whole number"),
        ({"q": "china", "page": "2.5"}, "page", "page must be a whole number"),
        ({"q": "china", "page": "<script>"}, "page", "page must be a whole number"),
        ({"q": "china", "sort": "<script>x</script>"}, "sort", "sort must be one of"),
        ({"q": "china", "since": "yesterday<b>"}, "since", "since: not a date"),
        ({"q": "china", "until": "2019-13"}, "until", "until: not a date"),
        # a valid date in the first 40 characters once let the rest reach the search: a 500
        ({"q": "china", "since": "2019-01-01" + " " * 30 + "x" * 10}, "since", "since: not a date"),
        ({"q": "china", "until": "2019-01-01" + " " * 35 + "junk"}, "until", "until: not a date"),
        ({"q": "china", "site": "s" * 201}, "site", "site filter too long"),
        ({"q": "china", "year": "2019<script>"}, "year", "year must be a whole number"),
        ({"q": "china", "year": "0"}, "year", "year must be a whole number from 1 to 9999"),
        ({"q": "china", "year": "10000"}, "year", "year must be a whole number"),
        ({"q": "china", "sort": "date"}, "sort", "sort must be one of relevance, newest, oldest"),
        ({"q": '"open sesame'}, None, 'unbalanced quote (") in query'),
        ({"q": "(a OR b"}, None, "unbalanced parentheses in query"),
        ({"q": "date:[garbage to junk]"}, None, "cannot parse query"),
    ],
)
def test_bad_parameters_get_a_400_with_a_json_error(client, params, param, message):
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "status"} and body["status"] == 400
    assert body["error"].startswith(message) or message in body["error"]
    assert "\n" not in body["error"] and len(body["error"]) < 200
    if param:
        assert param in body["error"] or param == "q"


def test_repeated_single_parameters_are_refused(client):
    response = client.get("/api/search", params=[("q", "china"), ("q", "<x>")])
    assert response.status_code == 400
    assert response.json()["error"] == "'q' was given more than once"
    many_authors = [("q", "china")] + [("author", f"A{i}") for i in range(11)]
    assert client.get("/api/search", params=many_authors).status_code == 400


def test_bad_parameters_on_the_page_keep_the_query_and_say_why(client):
    response = client.get("/", params={"q": "<b>china</b>", "page": "0"})
    assert response.status_code == 400
    assert "page must be a whole number from 1 to 1000" in response.text
    assert 'value="&lt;b&gt;china&lt;/b&gt;"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_a_date_valid_only_in_its_first_40_characters_is_a_400_on_the_page(client):
    response = client.get("/", params={"q": "china", "since": "2019-01-01" + " " * 30 + "junk"})
    assert response.status_code == 400
    assert "since: not a date" in response.text


def test_wrong_method_is_a_json_405(client):
    response = client.post("/api/search?q=china", content=b"<script>")
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed", "status": 405}


# --- no client input yields a 500 --------------------------------------------------------------------

NASTY_QUERIES = [
    "*",
    "?",
    "*:*",
    "a* OR *b",
    "date:",
    "date:[to]",
    "date:[2019 to 2018]",
    "date:99999",
    "date:2019-02-30",
    "date:{2018 to}",
    "title:",
    ":",
    "::",
    "x:y:z",
    "NOT",
    "AND OR NOT",
    "NOT NOT spam",
    "spam~",
    "spam~99",
    "spam^",
    "spam^-1",
    "spam^9999999999",
    '""',
    '"" AND ""',
    "()",
    "[]",
    "{}",
    "[a TO b]",
    "year:[1 TO 99999999999]",
    "cluster:x",
    "meta:x",
    "id:*",
    "kind:file",
    "source:*",
    "\\",
    "\\*",
    "'",
    "%00",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "\U0001f4a9 spam",
    "spam\x01\x02\x1f",
    "a" * 1000,
    " OR ".join(["spam"] * 200),
    "(" * 50 + "spam" + ")" * 50,
    "**********",
    "s*p*a*m*",
]


@pytest.mark.parametrize("q", NASTY_QUERIES)
def test_nasty_queries_never_cause_a_server_error(client, q):
    for url in ("/api/search", "/"):
        response = client.get(url, params={"q": q})
        assert response.status_code in (200, 400), (q, response.status_code)
        if url == "/api/search" and response.status_code == 400:
            assert response.json()["error"]


@pytest.mark.parametrize(
    "raw", ["q=%FF%FE", "q=%ED%A0%80", "q=%C0%AF..%C0%AF", "q=%", "q=%%32", "q&q", "q=a&page=%00"]
)
def test_undecodable_query_strings_never_cause_a_server_error(client, raw):
    for path in ("/api/search", "/"):
        response = client.get(f"{path}?{raw}")
        assert response.status_code in (200, 400), (raw, response.status_code)


QUERY_ALPHABET = st.sampled_from(
    [*"abcxyz *?:\"()[]{}~^\\-+!&|/'<>%\x00é中文", "AND", "OR", "NOT", "TO", "date:", "title:"]
)
query_text = st.lists(QUERY_ALPHABET, max_size=30).map("".join)
param_value = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-5, 2000).map(str), st.sampled_from(["", "0"])
)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    q=query_text,
    page=param_value,
    limit=param_value,
    sort=st.one_of(param_value, st.sampled_from(["relevance", "newest", "oldest"])),
    site=param_value,
    year=param_value,
    since=param_value,
)
def test_fuzzed_parameters_never_cause_a_server_error(
    client, q, page, limit, sort, site, year, since
):
    params = {
        "q": q,
        "page": page,
        "limit": limit,
        "sort": sort,
        "site": site,
        "year": year,
        "since": since,
    }
    params = {k: v for k, v in params.items() if v is not None}
    response = client.get("/api/search", params=params)
    assert response.status_code in (200, 400), (params, response.text)
    assert set(response.json()) >= (
        {"error", "status"} if response.status_code == 400 else {"hits"}
    )


# --- Host header ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8732", "127.0.0.1.evil.example", ""]
)
def test_foreign_host_headers_are_refused(client, host):
    response = client.get("/api/search?q=china", headers={"host": host})
    assert response.status_code == 400
    assert response.json()["error"] == "this server answers only to localhost"


@pytest.mark.parametrize("host", ["localhost:8732", "127.0.0.1:8732", "[::1]:8732", "LOCALHOST"])
def test_loopback_host_headers_are_served(client, host):
    assert client.get("/healthz", headers={"host": host}).status_code == 200


# --- requests another site's page makes the browser send (issue 15.1) -------------------------

IMAGE_FROM_ELSEWHERE = {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image"}  # fmt: skip


@pytest.mark.parametrize("path", ["/api/search?q=a*", "/?q=a*", "/api/stats", "/healthz"])
def test_a_page_elsewhere_cannot_make_the_browser_search(client, path):
    """``<img src="http://127.0.0.1:8732/api/search?q=a*">`` on any site the user visits."""
    response = client.get(path, headers=IMAGE_FROM_ELSEWHERE)
    assert response.status_code == 403
    assert response.json() == {"error": "cross-site requests are refused", "status": 403}


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_fetch_from_another_origin_is_refused(client, site):
    headers = {"sec-fetch-site": site, "sec-fetch-mode": "cors", "origin": "http://localhost:3000"}
    assert client.get("/api/search", params={"q": "china"}, headers=headers).status_code == 403
    # an Origin alone (an older browser, no Sec-Fetch headers) is enough to tell
    only_origin = {"origin": "https://evil.example"}
    assert client.get("/api/search", params={"q": "china"}, headers=only_origin).status_code == 403


def test_our_own_pages_links_from_elsewhere_and_scripts_are_served(client):
    own = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", "origin": "http://localhost"}
    assert client.get("/api/search", params={"q": "china"}, headers=own).status_code == 200
    followed_link = {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}
    assert client.get("/", params={"q": "china"}, headers=followed_link).status_code == 200
    typed = {"sec-fetch-site": "none", "sec-fetch-mode": "navigate"}
    assert client.get("/", params={"q": "china"}, headers=typed).status_code == 200
    assert client.get("/api/search", params={"q": "china"}).status_code == 200  # curl, scripts


def test_a_javascript_url_in_a_record_is_no_link_anywhere(client, hostile_record_id):
    assert client.get(f"/api/articles/{hostile_record_id}").json()["url"] is None
    page = client.get(f"/articles/{hostile_record_id}").text
    assert 'class="original"' not in page
    hits = client.get("/api/search", params={"q": "yottabyte"}).json()["hits"]
    assert hits[0]["url"] is None
