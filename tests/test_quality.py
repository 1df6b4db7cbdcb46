"""Search quality: spelling correction, Chinese words, facets, date sorts, snippets, more like this,
score explanations, and the JSON shape the web page reads."""

from __future__ import annotations

import json
import re

import pytest

from searchkit.cli import app, search_app
from searchkit.query import spelling
from searchkit.query.searcher import QueryError, ResultFilters
from searchkit.query.snippets import Highlight, make_snippet, to_html, to_plain

OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"
INSIGHTS = "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score"
WUXI = "Making China’s Healthcare More Mobile: Wuxi Launches ‘Smart Medical App’"
RED_PACKET = "From Red Packet to Virtual Hongbao: Lucky Envelopes in China’s Digital Era"
CLUBHOUSE = "Conversations Behind the Wall: Clubhouse App Now Blocked in China"


def titles(results) -> list[str]:
    return [h.title for h in results.hits]


def marked(hit) -> list[str]:
    return [text for text, is_match in hit.snippet if is_match]


# --- spelling ---------------------------------------------------------------------------------------


def test_misspelt_query_is_corrected_and_finds_the_sesame_credit_articles(searcher):
    results = searcher.search("sesme credt")
    assert results.corrected == "sesame credit"
    assert set(titles(results)[:2]) == {INSIGHTS, OPEN_SESAME}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("cluborhouse", "clubhouse"), ("hongboa", "hongbao"), ("tencnet profit", "tencent profit")],
)
def test_other_misspellings_are_corrected(searcher, typed, meant):
    results = searcher.search(typed)
    assert results.corrected == meant
    assert results.hits


@pytest.mark.parametrize("q", ["sesame credit", "blacklisting", "xylophone", "Koetse", "5G"])
def test_words_the_index_holds_or_that_are_nowhere_close_are_left_alone(searcher, q):
    assert searcher.search(q).corrected is None


def test_cli_and_json_say_which_query_was_searched(runner, index_env):
    result = runner.invoke(search_app, ["sesme credt"])
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first == "Showing results for 'sesame credit' (no close match for 'sesme credt')."
    data = json.loads(runner.invoke(search_app, ["sesme credt", "--json"]).stdout)
    assert data["query"] == "sesme credt" and data["corrected"] == "sesame credit"
    assert data["hits"][0]["title"] in {INSIGHTS, OPEN_SESAME}
    data = json.loads(runner.invoke(search_app, ["sesame credit", "--json"]).stdout)
    assert data["corrected"] is None


@pytest.mark.parametrize(
    "word",
    [
        "with",  # a stop word: in no lexicon, but spelled right (it used to become "wish")
        "that",
        "have",
        "texting",  # unstemmed in no article, but its stem "text" is: the search finds it
        "blacklists",
        "koetse",  # an author's name, though no body holds it
    ],
)
def test_a_word_a_search_already_matches_is_never_rewritten(searcher, word):
    reader = searcher._index.reader()
    assert spelling.correct(reader, f"{word} wechat") is None


def test_stop_words_survive_the_correction_of_the_misspelt_words_beside_them(searcher):
    assert searcher.search("sesme with credt").corrected == "sesame with credit"


def test_a_name_like_word_is_suggested_not_replaced(runner, index_env, searcher):
    results = searcher.search("tencent Alibab")
    assert results.corrected is None  # searched as typed: a name the index lacks is likely
    assert results.suggested == "tencent alibaba"
    out = runner.invoke(search_app, ["tencent Alibab"]).stdout
    assert "Did you mean 'tencent alibaba'?" in out.splitlines()
    data = json.loads(runner.invoke(search_app, ["tencent Alibab", "--json"]).stdout)
    assert data["suggested"] == "tencent alibaba" and data["corrected"] is None


def test_a_correction_offers_the_search_as_typed_and_no_correct_runs_it(runner, index_env):
    lines = runner.invoke(search_app, ["sesme credt"]).stdout.splitlines()
    assert lines[1] == "Search instead for 'sesme credt': add --no-correct."
    plain = runner.invoke(search_app, ["sesme credt", "--no-correct"])
    assert plain.exit_code == 0
    assert plain.stdout.splitlines() == ["No results for 'sesme credt'."]
    data = json.loads(runner.invoke(search_app, ["sesme credt", "--no-correct", "--json"]).stdout)
    assert data["corrected"] is None and data["correct"] is False and data["total"] == 0


# --- Chinese ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["芝麻信用", "芝麻", "信用", "芝", "麻信"])
def test_any_word_inside_chinese_text_is_found(searcher, q):
    assert set(titles(searcher.search(q))) >= {INSIGHTS, OPEN_SESAME}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("社会信用体系", {OPEN_SESAME}),
        ("信用生活", {INSIGHTS}),
        ("微信", {WUXI, RED_PACKET}),
        ("芝麻用", set()),  # the characters, but not together: no match
    ],
)
def test_chinese_words_match_where_their_characters_stand_together(searcher, q, expected):
    assert set(titles(searcher.search(q, limit=50))) == expected


def test_mixed_chinese_and_english_query(searcher):
    results = searcher.search("Sesame 芝麻信用")
    # both words are in both articles, which rank first; others with one of them follow
    assert results.all_words == 2
    assert set(titles(results)[:2]) == {INSIGHTS, OPEN_SESAME}
    hospital = searcher.search("hospital 信用就医")
    assert titles(hospital)[0] == INSIGHTS


def test_chinese_matches_are_highlighted(searcher):
    top = searcher.search("芝麻信用").hits[0]
    assert "芝麻信用" in marked(top)
    for hit in searcher.search("信用").hits:
        assert all("信用" in m for m in marked(hit)), marked(hit)
        assert marked(hit)
    # a lone character is marked by itself, not with the bigram it was found in
    single = searcher.search("芝").hits[0]
    assert set(marked(single)) == {"芝"}


# --- facets, filters, sorts -------------------------------------------------------------------------


def counts(results, facet: str) -> dict[str, int]:
    return {c.value: c.count for c in results.facets[facet]}


def test_facets_count_distinct_stories(searcher):
    results = searcher.search("china", limit=1)
    assert results.total == 20
    # Open Sesame is saved twice: its site, author, year and category count it once.
    assert counts(results, "site") == {
        "Whatsonweibo": 8,
        "South China Morning Post": 1,
        "The New York Times": 1,
    }
    authors = counts(results, "author")
    assert authors["Manya Koetse"] == 5 and authors["Gabi Verberg"] == 2
    assert counts(results, "year") == {"2018": 9, "2019": 6, "2021": 2}
    assert counts(results, "category") == {"China Digital": 8}
    # most frequent first, then by value
    assert [c.value for c in results.facets["author"][:2]] == ["Manya Koetse", "Gabi Verberg"]


def test_facet_counts_follow_the_query_and_the_other_filters(searcher):
    results = searcher.search("sesame", filters=ResultFilters(authors=["Manya Koetse"]))
    assert results.total == 3
    assert counts(results, "author") == {
        "Manya Koetse": 3,
        "Gabi Verberg": 1,
    }  # not narrowed by itself
    assert counts(results, "year") == {"2018": 3}  # narrowed by the author filter
    site_filtered = searcher.search("china", filters=ResultFilters(site="Whatsonweibo"))
    assert site_filtered.total == 8
    assert len(counts(site_filtered, "site")) == 3  # every site still offered
    assert sum(counts(site_filtered, "year").values()) == 8


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ResultFilters(year=2021), {RED_PACKET, CLUBHOUSE}),
        (ResultFilters(year=2021, authors=["manya koetse"]), {CLUBHOUSE}),
        (ResultFilters(site="the new york times"), {"How China Walled Off the Internet"}),
        (
            ResultFilters(category="china digital", year=2019),
            {
                "Weibo’s Digital Graveyard: Remembering the Dead on Chinese Social Media",
                "Mimeng and ‘Self-Media’ under Attack for Promoting Fake News Stories to Chinese Readers",
            },
        ),
    ],
)
def test_filters_by_facet_values_combine(searcher, filters, expected):
    assert set(titles(searcher.search("china", filters=filters, limit=50))) == expected


def test_a_facet_value_filters_to_exactly_its_count(searcher):
    results = searcher.search("social media")
    for facet, make in (
        ("site", lambda v: ResultFilters(site=v)),
        ("author", lambda v: ResultFilters(authors=[v])),
        ("year", lambda v: ResultFilters(year=int(v))),
        ("category", lambda v: ResultFilters(category=v)),
    ):
        for count in results.facets[facet]:
            narrowed = searcher.search("social media", filters=make(count.value), facets=False)
            # a facet counts stories with every word; a narrowed page short of them says how
            # many it has before partial matches fill it
            full = narrowed.total if narrowed.all_words is None else narrowed.all_words
            assert full == count.count, (facet, count)


def test_sort_newest_and_oldest_put_undated_articles_last(searcher):
    newest = searcher.search("china", sort="newest", limit=50)
    assert newest.sort == "newest" and newest.total == 20
    dates = [h.date for h in newest.hits if h.date]
    assert dates == sorted(dates, reverse=True) and len(dates) == 9
    # 2021 is the newest year, known only from two copyright lines; then 2019's dated articles
    assert {h.title for h in newest.hits[:2]} == {RED_PACKET, CLUBHOUSE}
    assert newest.hits[2].title.startswith("One World, Two Internets")
    # the three articles with neither a date nor a copyright year come last
    assert {h.source for h in newest.hits[-3:]} == {"seeds/004_c25429b31b79a1e5.txt"}
    oldest = searcher.search("china", sort="oldest", limit=50)
    dates = [h.date for h in oldest.hits if h.date]
    assert dates == sorted(dates) and oldest.hits[0].title.startswith("Online Gaming Target")
    assert {h.source for h in oldest.hits[-3:]} == {"seeds/004_c25429b31b79a1e5.txt"}
    # a year-only article sits after the dated ones of its year
    years = [h.title for h in newest.hits]
    assert years.index(CLUBHOUSE) < years.index(
        "One World, Two Internets: The Internet, Divided Between the U.S. and China, Has Become a Battleground"
    )


def test_date_sort_pages_and_filters(searcher):
    pages = [searcher.search("china", sort="oldest", limit=7, page=p) for p in (1, 2, 3)]
    ids = [h.id for r in pages for h in r.hits]
    assert len(ids) == len(set(ids)) == 20
    dated = searcher.search("china", sort="newest", filters=ResultFilters(year=2019), limit=50)
    assert len(dated.hits) == 6 and all(h.score > 0 for h in dated.hits)


def test_unknown_sort_is_a_query_error(searcher):
    with pytest.raises(QueryError, match="unknown sort"):
        searcher.search("china", sort="random")


def test_cli_facets_sort_and_year(runner, index_env):
    result = runner.invoke(search_app, ["china", "--facets", "--limit", "2"])
    assert result.exit_code == 0
    assert "  Sites: Whatsonweibo (8), South China Morning Post (1), The New York Times (1)" in (
        result.stdout.splitlines()
    )
    assert "  Years: 2018 (9), 2019 (6), 2021 (2)" in result.stdout
    result = runner.invoke(search_app, ["china", "--sort", "newest", "--year", "2018", "-n", "3"])
    assert "showing 1–3, newest first" in result.stdout
    assert "2018-11-20" in result.stdout.split("\n\n")[1]


# --- snippets ---------------------------------------------------------------------------------------


def test_snippets_mark_every_form_of_a_word_and_phrases_only_together(searcher):
    hit = searcher.search("blacklisting").hits[0]
    assert {m.lower() for m in marked(hit)} <= {"blacklist", "blacklisted", "blacklists"}
    phrase = searcher.search('"red envelope"').hits[0]
    assert phrase.title == RED_PACKET
    assert marked(phrase) and all(
        re.fullmatch(r"red envelopes?", m.lower()) for m in marked(phrase)
    )


def test_snippet_passages_are_whole_words_and_at_most_three(searcher):
    for q in ("social credit", "wechat privacy", "tencent"):
        for hit in searcher.search(q).hits:
            text = to_plain(hit.snippet)
            passages = [p.strip() for p in text.strip("… ").split(" … ")]
            assert 1 <= len(passages) <= 3
            body = " ".join(searcher.article(hit.id).text.split())
            for passage in passages:
                assert passage in body
                start = body.index(passage)
                end = start + len(passage)
                assert start == 0 or not body[start - 1].isalnum(), passage
                assert end == len(body) or not body[end].isalnum(), passage


def test_snippet_html_is_escaped():
    text = "Intro. The <script>alert('x')</script> tag & credit score — credit matters here."
    light = Highlight(terms={"credit": 1.0})
    html = to_html(make_snippet(text, light))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert html.count("<mark>credit</mark>") == 2


def test_snippet_prefers_passages_that_show_new_words():
    text = (
        "credit " * 3
        + "filler words here. " * 30
        + "blacklist appears once here with credit. "
        + "more filler text. " * 30
    )
    light = Highlight(terms={"credit": 0.5, "blacklist": 3.0})
    shown = [t.lower() for t, m in make_snippet(text, light) if m]
    assert "blacklist" in shown


# --- more like this ---------------------------------------------------------------------------------


def test_more_like_open_sesame_is_the_sesame_credit_articles(searcher):
    top = searcher.search("social credit blacklist").hits[0]
    similar = searcher.similar(top.id, limit=5)
    assert [h.title for h in similar][:2] == [INSIGHTS, WUXI]
    ids = {h.id for h in similar}
    assert top.id not in ids and top.duplicates[0].id not in ids  # its own copies left out
    assert [h.rank for h in similar] == [1, 2, 3, 4, 5]


def test_similar_command(runner, index_env):
    top = json.loads(runner.invoke(search_app, ["social credit blacklist", "--json"]).stdout)[
        "hits"
    ][0]
    result = runner.invoke(app, ["similar", top["id"][:6], "-n", "3"])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Articles like {OPEN_SESAME} ({top['id']}):")
    assert f" 1. {INSIGHTS}" in result.stdout
    data = json.loads(runner.invoke(app, ["similar", top["id"], "--json"]).stdout)
    assert data["id"] == top["id"] and data["hits"][0]["title"] == INSIGHTS
    missing = runner.invoke(app, ["similar", "ffffffffffff"])
    assert missing.exit_code == 1 and "no article with id" in missing.stderr


# --- explain ----------------------------------------------------------------------------------------


def test_explanation_adds_up_to_the_score(searcher):
    results = searcher.search("social credit blacklist", explain=True)
    for hit in results.hits:
        parts = hit.explanation
        assert parts, hit.title
        assert sum(p.score for p in parts) == pytest.approx(hit.score, abs=1e-3)
        assert {p.field for p in parts} <= {
            "title",
            "summary",
            "body",
            "exact",
            "authors",
            "title proximity",
            "body proximity",
        }
    top = results.hits[0].explanation
    assert ("body", "blacklist") in {(p.field, p.term) for p in top}
    assert searcher.search("social credit").hits[0].explanation is None


def test_cli_explain(runner, index_env):
    result = runner.invoke(search_app, ["social credit blacklist", "--explain", "-n", "1"])
    lines = result.stdout.splitlines()
    assert "    score breakdown (field, term, points):" in lines
    total = next(line for line in lines if line.strip().startswith("total"))
    score = re.search(r"score (\d+\.\d+)", result.stdout).group(1)
    assert float(total.split()[-1]) == pytest.approx(float(score), abs=0.01)
    data = json.loads(runner.invoke(search_app, ["clubhouse", "--explain", "--json"]).stdout)
    assert {"field", "term", "score"} <= set(data["hits"][0]["explanation"][0])


# --- the JSON contract ------------------------------------------------------------------------------


def test_json_has_the_contract_keys(runner, index_env):
    data = json.loads(runner.invoke(search_app, ["wechat", "--json", "--sort", "oldest"]).stdout)
    assert set(data) == {
        "query",
        "total",
        "page",
        "limit",
        "sort",
        "corrected",
        "suggested",
        "correct",
        "all_words",
        "complete",
        "notices",
        "facets",
        "hits",
    }
    assert data["sort"] == "oldest" and data["corrected"] is None and data["complete"] is True
    assert set(data["facets"]) == {"site", "author", "year", "category"}
    assert all(set(c) == {"value", "count"} for c in data["facets"]["year"])
    assert sum(c["count"] for c in data["facets"]["site"]) <= data["total"]
    assert "explanation" not in data["hits"][0]


@pytest.fixture()
def index_env(seed_store, monkeypatch):
    monkeypatch.setenv("SEARCHKIT_INDEX", str(seed_store.path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return seed_store


@pytest.mark.parametrize(
    "q",
    ["social credit blacklist", "the of", "芝麻信用 sesame", "e-mail", "U.S. china", "Koetse 5G"],
)
@pytest.mark.parametrize("any_word", [False, True])
def test_bare_words_are_read_exactly_as_the_query_parser_reads_them(searcher, q, any_word):
    fast = searcher.parser.plain(q, any_word=any_word)
    assert fast == searcher.parser.full(q, any_word=any_word).normalize()


def test_possessives_and_one_letter_words_do_not_become_phrases(searcher):
    # "WeChat's" is WeChat: a one-letter word is no index term (a lone CJK character is)
    possessive = searcher.search("WeChat's privacy")
    assert possessive.hits[0].title.startswith("WeChat, the most popular")
    assert possessive.total == searcher.search("wechat privacy").total


@pytest.mark.parametrize("q", ["social credit blacklist", "china", "tencent profit", "信 sesame"])
@pytest.mark.parametrize("any_word", [False, True])
def test_bulk_scores_equal_whooshs_own_scoring(searcher, q, any_word):
    from searchkit.query import rank as ranking

    found = searcher.matches(searcher.parse(q, any_word=any_word))
    groups = ranking.term_groups(found.q)
    assert groups is not None
    bulk = searcher.bulk_scorer.score(groups, found.lists, found.docs)
    whoosh = searcher.whoosh_scores(found.q)
    assert bulk.keys() == whoosh.keys()
    assert all(bulk[d] == pytest.approx(whoosh[d], rel=1e-9) for d in whoosh)


def test_digits_and_one_letter_words_are_searched(tmp_path):
    """ "Destiny 2" finds the game, not every article about destiny; initials and "Plan B" too."""
    from searchkit import library

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "game.txt").write_text(
        "Destiny 2 returns\n\nBungie released Destiny 2 on consoles, said J. Smith of Plan B.\n"
    )
    (pages / "essay.txt").write_text(
        "The destiny of nations\n\nAn essay on the destiny of nations over many years of history.\n"
    )
    library.update_index([pages], tmp_path / "ix")
    with library.open(tmp_path / "ix") as index:
        game = index.search("Destiny 2")
        assert game.all_words == 1 and game.hits[0].title == "Destiny 2 returns"
        assert [h.title for h in index.search("Plan B").hits] == ["Destiny 2 returns"]
        assert [h.title for h in index.search("J Smith").hits] == ["Destiny 2 returns"]


def test_site_filter_takes_the_domain_as_well_as_the_name(tmp_path, runner):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "post.html").write_text(
        "<html><head><title>Moon lander lands | New York Post</title>"
        '<link rel="canonical" href="https://www.nypost.com/2024/02/22/moon-lander/">'
        '<meta property="og:site_name" content="New York Post"></head><body><article>'
        "<h1>Moon lander lands</h1><p>" + "The private moon lander touched down near the pole. " * 8
        + "</p></article></body></html>"
    )
    (pages / "other.txt").write_text(
        "Moon lander news\n\n" + "Another story about a moon lander and its landing site. " * 8
    )
    index = ["--index", str(tmp_path / "ix")]
    assert runner.invoke(app, ["index", str(pages), *index]).exit_code == 0

    def titles(*site: str) -> list[str]:
        out = runner.invoke(app, ["search", "moon", "lander", "--json", *site, *index])
        assert out.exit_code == 0, out.output
        return [h["title"] for h in json.loads(out.stdout)["hits"]]

    assert len(titles()) == 2
    for given in ("nypost.com", "www.nypost.com", "https://nypost.com/", "New York Post"):
        assert titles("--site", given) == ["Moon lander lands"], given
    assert titles("--site", "post.com") == []  # a domain matches whole labels, not a suffix
    assert titles("--site", "cnn.com") == []


def _page_stating(url: str, title: str) -> str:
    return (
        f"<html><head><title>{title}</title>"
        f'<link rel="canonical" href="{url}"></head><body><article>'
        f"<h1>{title}</h1><p>" + "A report on the lunar lander and its landing site. " * 8
        + "</p></article></body></html>"
    )


def test_the_original_url_is_shown_and_linked_only_when_it_is_http(tmp_path, runner):
    from starlette.testclient import TestClient

    from searchkit.index.generations import IndexStore
    from searchkit.web.app import create_app

    pages = tmp_path / "pages"
    pages.mkdir()
    url = "https://www.nypost.com/2024/02/22/lunar-lander/"
    (pages / "good.html").write_text(_page_stating(url, "Lunar lander lands"))
    (pages / "bad.html").write_text(_page_stating("javascript:alert(1)", "Lunar lander fails"))
    index = ["--index", str(tmp_path / "ix")]
    assert runner.invoke(app, ["index", str(pages), *index]).exit_code == 0

    hits = json.loads(runner.invoke(app, ["search", "lunar lander", "--json", *index]).stdout)
    by_title = {h["title"]: h for h in hits["hits"]}
    assert by_title["Lunar lander lands"]["url"] == url
    assert by_title["Lunar lander fails"]["url"] is None
    text = runner.invoke(app, ["search", "lunar lander", *index]).stdout
    assert f"    {url}" in text.splitlines() and "javascript:" not in text
    good = by_title["Lunar lander lands"]["id"]
    shown = runner.invoke(app, ["show", good, *index]).stdout
    assert url in shown.splitlines()
    assert json.loads(runner.invoke(app, ["show", good, "--json", *index]).stdout)["url"] == url

    with TestClient(create_app(IndexStore(tmp_path / "ix")), base_url="http://localhost") as client:
        page = client.get("/", params={"q": "lunar lander"}).text
        article = client.get(f"/articles/{good}").text
    link = f'<a class="original" href="{url}" rel="noopener noreferrer">'
    assert link in page and f"{link}{url}</a>" in article
    assert "javascript:" not in page
