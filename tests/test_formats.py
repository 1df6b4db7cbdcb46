"""HTML, Markdown and JSON Lines: articles with their metadata, boilerplate left out."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from searchkit.index.build import build_index
from searchkit.index.generations import IndexStore
from searchkit.ingest.decode import read_page
from searchkit.ingest.html import strip_site_suffix
from searchkit.ingest.split import split_articles
from searchkit.models import SourceFile
from searchkit.query.searcher import Searcher

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "html"


def articles_of(path: Path, relpath: str | None = None):
    source = SourceFile(str(path), relpath or path.name, path.stat().st_size, path.stat().st_mtime)
    page = read_page(source)
    assert not hasattr(page, "reason"), page
    return split_articles(page)


@pytest.fixture(params=["trafilatura", "own"])
def body_extractor(request, monkeypatch):
    """Both main-text extractors must keep the story and drop the chrome."""
    monkeypatch.setattr("searchkit.ingest.html.BODY_EXTRACTOR", request.param)
    return request.param


def test_news_page_metadata_from_meta_tags_and_json_ld(body_extractor):
    (article,) = articles_of(FIXTURES / "news_article.html")
    assert article.title == "China’s Courts Put 13 Million on a Travel Blacklist"
    assert not article.title_derived
    assert article.authors == ["Mei Chen", "Daniel Okafor"]
    assert article.date == dt.date(2019, 2, 18)
    assert article.year == 2019
    assert article.site == "Pacific Ledger"
    assert article.url == "https://www.pacificledger.example/2019/02/18/travel-blacklist"
    assert article.lang == "en-US"
    assert article.category == "Technology"
    assert article.tags == ["social credit", "blacklist"]
    assert article.summary == (
        "Defaulters cannot buy plane or train tickets until they pay what courts say they owe."
    )


def test_news_page_body_keeps_the_story_and_drops_the_chrome(body_extractor):
    (article,) = articles_of(FIXTURES / "news_article.html")
    body = article.body
    assert body.startswith("More than 13 million people in China") or body.startswith(
        "Travellers queue"
    )
    assert "How the blacklist works" in body
    assert body.rstrip().endswith("fails at the station.")
    for chrome in (
        "Skip to content",
        "Subscribe",
        "cookies",
        "Facebook",
        "Advertisement",
        "Great article",  # reader comments
        "Sesame Credit scores",  # related stories
        "All rights reserved",
        "Privacy policy",
        "window.dataLayer",
        "display: flex",
        "China’s Courts Put",  # the headline is the title, not the first line of the text
    ):
        assert chrome not in body, chrome


def test_title_from_title_tag_byline_text_and_legacy_encoding(body_extractor):
    (article,) = articles_of(FIXTURES / "byline_only.html")
    # <title> "… — The Harbour Review" minus its site suffix; the page is windows-1252
    assert article.title == "Why Beijing Bet on Face Recognition"
    assert article.authors == ["Sarah Lindqvist"]
    assert article.date == dt.date(2018, 6, 5)
    assert article.site == "The Harbour Review"  # from the copyright footer
    assert article.tags == ["surveillance", "AI"]
    assert "the city’s railway station" in article.body  # ’ decoded from cp1252 0x92
    assert "Archive" not in article.body and "Copyright" not in article.body


def test_tag_archive_page_yields_one_article_per_post(body_extractor):
    articles = articles_of(FIXTURES / "tag_archive.html")
    assert [(a.position, a.title, a.authors, a.date) for a in articles] == [
        (1, "WeChat Red Envelopes Break New Year Record", ["Manya Koetse"], dt.date(2019, 2, 6)),
        (2, "Tencent Responds to WeChat Privacy Rumors", ["Gabi Verberg"], dt.date(2018, 1, 3)),
        (3, "WeChat Pay Expands in Hong Kong Shops", ["Manya Koetse"], dt.date(2017, 11, 20)),
    ]
    assert articles[0].url == "https://www.whatsonweibo.example/wechat-red-envelopes/"
    assert all(a.site == "Whats on Weibo" and a.tags == ["WeChat"] for a in articles)
    assert articles[1].body.startswith("After a businessman claimed")
    for a in articles:
        assert "Popular" not in a.body and "Ten Chinese Apps" not in a.body and "Next" not in a.body


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Story headline | The Site", "The Site", "Story headline"),
        ("The Site: Story headline here", "The Site", "Story headline here"),
        ("Story headline here - Reuters", None, "Story headline here"),
        ("Why: a question worth asking", None, "Why: a question worth asking"),
        ("No separator at all", "X", "No separator at all"),
    ],
)
def test_site_suffix_is_stripped_from_titles(title, site, expected):
    assert strip_site_suffix(title, site) == expected


MARKDOWN = """---
title: Notes on the Great Firewall
author: [Jane Roe, John Doe]
date: 2020-05-01
tags: [censorship, vpn]
---

Intro paragraph with **bold** words, a [link to a source](https://example.org/source) and `code`.

## A section heading

- first point about *VPN* services
- second point
"""


def test_markdown_front_matter_and_stripped_markup(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    (article,) = articles_of(path)
    assert article.title == "Notes on the Great Firewall"
    assert article.authors == ["Jane Roe", "John Doe"]
    assert article.date == dt.date(2020, 5, 1)
    assert article.tags == ["censorship", "vpn"]
    assert article.body.split("\n\n") == [
        "Intro paragraph with bold words, a link to a source and code.",
        "A section heading",
        "first point about VPN services",
        "second point",
    ]


def test_markdown_headings_split_posts_and_give_titles(tmp_path):
    path = tmp_path / "posts.md"
    path.write_text(
        "# First post\n\nBy Ann Lee\n\nJanuary 3, 2021\n\nThe first post talks about apps.\n\n"
        "# Second post\n\nThe second one talks about ```inline``` payments and phones.\n",
        encoding="utf-8",
    )
    articles = articles_of(path)
    assert [(a.title, a.authors, a.date, a.body) for a in articles] == [
        ("First post", ["Ann Lee"], dt.date(2021, 1, 3), "The first post talks about apps."),
        ("Second post", [], None, "The second one talks about inline payments and phones."),
    ]


def test_jsonl_records_become_articles_and_bad_lines_are_passed_over(tmp_path):
    path = tmp_path / "export.jsonl"
    records = [
        {
            "title": "Weibo limits hot search",
            "text": "Weibo suspended its hot search list for a week after a regulator's order.",
            "authors": ["Ma Li"],
            "date": "2018-01-29T10:00:00Z",
            "site": "Tech Wire",
            "url": "https://techwire.example/weibo",
            "tags": "weibo, censorship",
        },
        {"headline": "Untitled body only", "content": "Second record body text about Alipay."},
    ]
    lines = [json.dumps(records[0]), "not json at all", json.dumps({"title": "no text"}), ""]
    lines.append(json.dumps(records[1]))
    path.write_text("\n".join(lines), encoding="utf-8")
    articles = articles_of(path)
    assert [(a.position, a.title) for a in articles] == [
        (1, "Weibo limits hot search"),
        (2, "Untitled body only"),
    ]
    first = articles[0]
    assert (first.authors, first.date, first.site, first.url, first.tags) == (
        ["Ma Li"],
        dt.date(2018, 1, 29),
        "Tech Wire",
        "https://techwire.example/weibo",
        ["weibo", "censorship"],
    )


def test_mixed_folder_is_indexed_and_searchable(tmp_path):
    corpus = tmp_path / "mixed"
    shutil.copytree(FIXTURES, corpus / "html")
    (corpus / "notes.md").write_text(MARKDOWN, encoding="utf-8")
    store = IndexStore(tmp_path / "index")
    report = build_index([corpus], store)
    assert report.files == 6
    assert report.articles == 1 + 3 + 1 + 1 + 1 + 1  # the tag archive's three posts, one each else
    with Searcher(store) as searcher:
        hits = searcher.search("travel blacklist").hits
        assert hits[0].title == "China’s Courts Put 13 Million on a Travel Blacklist"
        assert hits[0].authors == ["Mei Chen", "Daniel Okafor"]
        assert hits[0].source == "mixed/html/news_article.html"
        assert searcher.search("author:verberg").hits[0].title == (
            "Tencent Responds to WeChat Privacy Rumors"
        )
        assert searcher.search("great firewall").hits[0].title == "Notes on the Great Firewall"
        # boilerplate was not indexed
        assert searcher.search("cookies", correct=False).total == 0
        assert searcher.search('"all rights reserved"').total == 0


def test_related_story_teasers_in_article_markup_do_not_replace_the_main_story(body_extractor):
    # Five <article> teasers in a rail, each long enough to pass for a post, hold none of the
    # page's main text: the page is the one story beside them.
    (article,) = articles_of(FIXTURES / "sidebar_teasers.html")
    assert article.title == "Harbour City Council Approves Flood Barrier Plan"
    assert article.authors == ["Ruth Okonkwo"]
    assert article.date == dt.date(2021, 3, 9)
    assert article.body.startswith("Harbour City’s council voted eleven to two")
    assert "visible from the promenade" in article.body
    for teaser in ("Island ferry", "dry dock", "primary school", "Lifeboat", "Sundays"):
        assert teaser not in article.body, teaser


def test_news_article_markup_around_an_inner_article_gives_one_copy(body_extractor):
    # <html itemtype=NewsArticle> around <article>: two marked-up "posts", one story.
    (article,) = articles_of(FIXTURES / "newsarticle_wrapper.html")
    assert article.title == "Ransom Demands Rise as Hospitals Pay Up"
    assert article.authors == ["Tomás Reyes", "Hannah Kim"]
    assert article.date == dt.date(2021, 6, 14)
    assert article.body.startswith("Hospitals hit by ransomware paid larger ransoms")
    assert "offline copies of patient records" in article.body
    for clutter in (
        "Supported by",
        "Credit...",
        "Lena Park",  # the photo credit
        "More on this story",
        "state senator",  # a link list inside the body points at other stories
        "Insurers rethink",
        "Lesen Sie auch",  # a pointer line to another story
    ):
        assert clutter not in article.body, clutter


def test_a_link_list_inside_a_story_is_not_found_by_its_headlines(tmp_path):
    shutil.copy(FIXTURES / "newsarticle_wrapper.html", tmp_path / "ransom.html")
    store = IndexStore(tmp_path / "index")
    build_index([tmp_path], store)
    with Searcher(store) as searcher:
        assert searcher.search("state senator arrest").total == 0
        assert [h.title for h in searcher.search("ransomware hospitals").hits] == [
            "Ransom Demands Rise as Hospitals Pay Up"
        ]


@pytest.mark.parametrize(
    "wrapper",
    [
        '<div class="page" aria-hidden="true">{}</div>',  # hidden behind a cookie dialog
        '<form id="aspnetForm" method="post">{}</form>',  # ASP.NET wraps the page in one form
        '<div class="content-with-sidebar">{}</div><aside>Popular: ten apps</aside>',
    ],
)
def test_a_story_inside_hidden_or_chrome_like_markup_is_still_read(tmp_path, wrapper, body_extractor):
    story = "".join(
        f"<p>Paragraph {n} of the lighthouse story tells how the keepers kept the lamp lit "
        f"through the winter storms of that year, and what it cost them.</p>"
        for n in range(1, 7)
    )
    html = (
        "<html><head><title>The Last Lighthouse Keepers</title></head><body>"
        + wrapper.format(f"<h1>The Last Lighthouse Keepers</h1>{story}")
        + '<div id="cookie-consent">We use cookies. Accept?</div></body></html>'
    )
    (tmp_path / "lighthouse.html").write_text(html, encoding="utf-8")
    (article,) = articles_of(tmp_path / "lighthouse.html")
    assert article.title == "The Last Lighthouse Keepers"
    assert "Paragraph 1 of the lighthouse story" in article.body
    assert "Paragraph 6 of the lighthouse story" in article.body
    assert "cookies" not in article.body and "ten apps" not in article.body


STORY_PARAGRAPHS = "".join(
    f"<p>Paragraph {n}: the port authority said on Tuesday that container traffic through the "
    f"northern terminal fell for the third month running, as shipping lines moved routes.</p>"
    for n in range(1, 6)
)


def one_article(tmp_path: Path, head: str, body: str):
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    (article,) = articles_of(tmp_path / "page.html")
    return article


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("By JILL LAWLESS Associated Press", ["Jill Lawless"]),  # publisher glued to the name
        ("By TOM KRISHER, AP Auto Writer", ["Tom Krisher"]),  # a job title is no author
        ("By Dee-Ann Durbin and Tom Krisher, The Associated Press", ["Dee-Ann Durbin", "Tom Krisher"]),
        ("By Jane Doe, Senior Political Correspondent", ["Jane Doe"]),
        ("By Associated Press", ["Associated Press"]),  # the only name the page gives
    ],
)
def test_authors_are_people_not_job_titles_or_publishers(tmp_path, byline, authors):
    article = one_article(
        tmp_path,
        "<title>Port Traffic Falls Again</title>",
        f'<h1>Port Traffic Falls Again</h1><p class="byline">{byline}</p>{STORY_PARAGRAPHS}',
    )
    assert article.authors == authors


def test_a_desk_named_as_author_gives_way_to_the_byline_signed_at_the_end(tmp_path):
    article = one_article(
        tmp_path,
        '<title>Port Traffic Falls Again</title><meta name="author" content="National Desk">',
        f"<h1>Port Traffic Falls Again</h1>{STORY_PARAGRAPHS}"
        '<p>-- By Michael Russell <a href="https://twitter.example/mr">Follow @mrussell</a></p>',
    )
    assert article.authors == ["Michael Russell"]
    assert "Michael Russell" not in article.body
    assert article.body.rstrip().endswith("shipping lines moved routes.")


@pytest.mark.parametrize(
    ("declared", "site"),
    [
        ('<meta property="og:site_name" content="@politifact">', "politifact.com"),  # a handle
        ('<meta property="og:site_name" content="Hosted">', "politifact.com"),  # a placeholder
        ('<meta property="og:site_name" content="© 2021 PolitiFact">', "politifact.com"),
        ('<meta property="og:site_name" content="PolitiFact">', "PolitiFact"),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Port '
            'Traffic Falls Again", "publisher": {"@type": "Organization", "name": "Poynter"}}'
            "</script>",
            "Poynter",
        ),
    ],
)
def test_site_name_is_the_declared_name_or_the_domain(tmp_path, declared, site):
    article = one_article(
        tmp_path,
        f"<title>Port Traffic Falls Again</title>{declared}"
        '<link rel="canonical" href="https://www.politifact.com/article/2021/port-traffic/">',
        f"<h1>Port Traffic Falls Again</h1>{STORY_PARAGRAPHS}"
        "<p>© 2021 All rights reserved. Hosted by ExampleHost</p>",
    )
    assert article.site == site


def test_a_title_cut_off_with_an_ellipsis_is_completed_from_the_page_title(tmp_path):
    article = one_article(
        tmp_path,
        '<meta property="og:title" content="Port traffic falls for a third month as…">'
        "<title>Port traffic falls for a third month as shipping lines move routes</title>",
        STORY_PARAGRAPHS,
    )
    assert article.title == "Port traffic falls for a third month as shipping lines move routes"


@pytest.mark.parametrize("meta", ['name="pdate" content="20190210"', 'name="ptime" content="20190210093000"'])
def test_nyt_publication_date_metas_give_the_date(tmp_path, meta):
    article = one_article(
        tmp_path,
        f"<title>Port Traffic Falls Again</title><meta {meta}>",
        f"<h1>Port Traffic Falls Again</h1>{STORY_PARAGRAPHS}",
    )
    assert article.date == dt.date(2019, 2, 10)


def test_a_page_holding_its_story_twice_is_one_article_not_two(tmp_path):
    # Some pages carry the story twice (a print and a screen copy, AMP markup beside the page's);
    # "dups" would report one story "saved twice" from a single file.
    story = (
        "<article><h2>Port Traffic Falls Again</h2>" + STORY_PARAGRAPHS + "</article>"
    )
    article = one_article(tmp_path, "<title>Port Traffic Falls Again</title>", story + story)
    assert article.title == "Port Traffic Falls Again"
    assert article.body.count("Paragraph 1:") == 1
