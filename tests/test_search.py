"""Search through the library API: ranking, collapsed copies, filters, query syntax, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from searchkit.query.searcher import ArticleNotFound, QueryError, ResultFilters
from searchkit.query.snippets import to_html, to_plain

OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"
F001 = "001_988f91d272dd2678.txt"
F003 = "003_2ea9e9789186997a.txt"

# Judged queries: the article a reader means, which must come first.
JUDGED = {
    "social credit blacklist": OPEN_SESAME,
    "iMessage spam": "Chinese iPhone Users Flooded with Spam through iMessage",
    "Clubhouse blocked": "Conversations Behind the Wall: Clubhouse App Now Blocked in China",
    "red envelopes": "From Red Packet to Virtual Hongbao: Lucky Envelopes in China’s Digital Era",
    "Mimeng fake news": "Mimeng and ‘Self-Media’ under Attack for Promoting Fake News Stories to Chinese Readers",
    "death taboo": "Weibo’s Digital Graveyard: Remembering the Dead on Chinese Social Media",
    "Tencent profit": "China’s Tencent beats estimates with 30% profit rise",
    "5G Huawei": "One World, Two Internets: The Internet, Divided Between the U.S. and China, Has Become a Battleground",
    "Sesame Credit hospital": "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score",
    "propaganda young people": "China Government In Internet Crackdown on Undesirable Influences — Enforcing Communist Ideology",
    "Apple iPhone sales China": "Apple Loses Ground to China’s Homegrown Rivals",
    "Wuxi app": "Making China’s Healthcare More Mobile: Wuxi Launches ‘Smart Medical App’",
}


@pytest.mark.parametrize(("q", "title"), sorted(JUDGED.items()))
def test_judged_queries_rank_the_right_article_first(searcher, q, title):
    results = searcher.search(q)
    assert results.hits, q
    assert results.hits[0].title == title


def test_untitled_articles_are_found_by_their_text(searcher):
    hit = searcher.search("WeBank online banking").hits[0]
    assert hit.title_derived
    assert hit.title.startswith("For most people of the internet generation in China")


def test_a_derived_title_is_shown_but_not_scored_as_a_title(searcher):
    derived = searcher.search("internet generation", explain=True).hits
    untitled = next(h for h in derived if h.title_derived)
    assert untitled.title.startswith("For most people of the internet generation in China")
    assert {p.field for p in untitled.explanation} == {"body", "body proximity", "exact"}
    titled = next(h for h in derived if not h.title_derived)
    assert "title" in {p.field for p in titled.explanation}  # a real title still counts


def test_duplicate_copies_collapse_to_one_hit_with_the_copy_listed(searcher):
    results = searcher.search("social credit blacklist")
    titles = [h.title for h in results.hits]
    assert titles.count(OPEN_SESAME) == 1
    top = results.hits[0]
    assert top.source.endswith(F001) and top.authors == ["Manya Koetse"]
    assert [d.source for d in top.duplicates] == [f"seeds/{F003}"]
    assert results.all_words == 2  # distinct stories with every word, not copies
    assert len(titles) == len(set(titles))


def test_snippet_marks_the_query_words_and_is_html_safe(searcher):
    top = searcher.search("social credit blacklist").hits[0]
    marked = {text.lower() for text, matched in top.snippet if matched}
    assert "blacklist" in marked
    assert {"social", "credit"} <= marked
    html = to_html(top.snippet)
    assert "<mark>blacklist</mark>" in html or "<mark>Blacklist</mark>" in html
    assert "‘" in to_plain(top.snippet) or "blacklist" in to_plain(top.snippet)


def test_stemming_matches_word_forms(searcher):
    # "blacklisted" in the text, "blacklisting" in the query: both stem to "blacklist"
    titles = [h.title for h in searcher.search("blacklisting").hits]
    assert OPEN_SESAME in titles


def test_paging_walks_all_distinct_hits_once(searcher):
    first = searcher.search("china", limit=8, page=1)
    second = searcher.search("china", limit=8, page=2)
    third = searcher.search("china", limit=8, page=3)
    assert first.total == second.total == third.total == 20
    ids = [h.id for r in (first, second, third) for h in r.hits]
    assert len(ids) == len(set(ids)) == 20
    assert [h.rank for h in second.hits] == list(range(9, 17))
    assert searcher.search("china", limit=8, page=4).hits == []


def test_and_by_default_with_fallback_to_any_word(searcher):
    strict = searcher.search("blacklist clubhouse")
    # no article has both words: the 3 with "blacklist" and the 1 with "clubhouse", flagged
    assert strict.total == 4 and strict.all_words == 0
    assert strict.notices == ["No article contains all the words; 4 articles contain some of them."]
    both = searcher.search("blacklist sesame")
    assert both.all_words == 2 and both.total == 4  # full matches first, then the page filled
    assert searcher.search("china").notices == []  # one word: nothing to fill with


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (
            '"digital red envelope"',
            {"From Red Packet to Virtual Hongbao: Lucky Envelopes in China’s Digital Era"},
        ),
        ("title:clubhouse", {"Conversations Behind the Wall: Clubhouse App Now Blocked in China"}),
        (
            "author:brancart",
            {"Weibo’s Digital Graveyard: Remembering the Dead on Chinese Social Media"},
        ),
        ("clubh*", {"Conversations Behind the Wall: Clubhouse App Now Blocked in China"}),
        (
            "sesame NOT blacklist",
            {"Making China’s Healthcare More Mobile: Wuxi Launches ‘Smart Medical App’"},
        ),
        (
            "date:[2018-11-01 to 2018-11-30]",
            {
                "How China Walled Off the Internet",
                "China ups cash rewards for citizens who report porn",
                "China’s Tencent beats estimates with 30% profit rise",
                "Australia trade minister to visit China in sign of thaw",
            },
        ),
        (
            "clubhouse OR mimeng",
            {
                "Conversations Behind the Wall: Clubhouse App Now Blocked in China",
                "Mimeng and ‘Self-Media’ under Attack for Promoting Fake News Stories to Chinese Readers",
                "China Government In Internet Crackdown on Undesirable Influences — Enforcing Communist Ideology",
            },
        ),
    ],
)
def test_query_syntax(searcher, q, expected):
    results = searcher.search(q, limit=50)
    assert {h.title for h in results.hits} == expected


def test_filters_author_site_and_dates(searcher):
    by_author = searcher.search("china", filters=ResultFilters(authors=["Manya Koetse"]), limit=50)
    assert by_author.total == 5  # Open Sesame's two copies count once
    assert all("Manya Koetse" in h.authors for h in by_author.hits)
    by_surname = searcher.search("china", filters=ResultFilters(authors=["koetse"]), limit=50)
    assert {h.id for h in by_surname.hits} == {h.id for h in by_author.hits}

    scmp = searcher.search("internet", filters=ResultFilters(site="south china morning post"))
    assert [h.site for h in scmp.hits] == ["South China Morning Post"]

    window = ResultFilters(since=dt.date(2019, 1, 1), until=dt.date(2019, 1, 31))
    january = searcher.search("china", filters=window, limit=50)
    assert {h.title for h in january.hits} == {
        "What’s Worse Than Facebook? What China does with social media…",
        "Apple Loses Ground to China’s Homegrown Rivals",
    }


def test_date_filter_admits_articles_known_only_by_their_copyright_year(searcher):
    year_2021 = ResultFilters(since=dt.date(2021, 1, 1), until=dt.date(2021, 12, 31))
    titles = {h.title for h in searcher.search("china", filters=year_2021, limit=50).hits}
    assert titles == {
        "From Red Packet to Virtual Hongbao: Lucky Envelopes in China’s Digital Era",
        "Conversations Behind the Wall: Clubhouse App Now Blocked in China",
    }
    # ...but not into a narrower window, which their year may or may not fall in
    half = ResultFilters(since=dt.date(2021, 6, 1))
    assert searcher.search("clubhouse", filters=half).total == 0


def test_zero_hits_is_a_result_not_an_error(searcher):
    results = searcher.search("xylophone")
    assert results.total == 0 and results.hits == []


def test_stopwords_only_query_says_why_nothing_matched(searcher):
    results = searcher.search("the of")
    assert results.total == 0
    assert "no searchable words" in results.notices[0]


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ('"social credit', "unbalanced quote"),
        ("(sesame OR credit", "unbalanced parentheses"),
        ("sesame)", "unbalanced parentheses"),
        ("date:[2019 to", "unclosed range"),
        ("date:[garbage to junk]", "cannot parse query"),
        ("   ", "empty query"),
        ("x" * 1001, "query too long"),
    ],
)
def test_unparsable_queries_raise_one_line_errors(searcher, q, message):
    with pytest.raises(QueryError, match=message) as info:
        searcher.search(q)
    assert "\n" not in str(info.value)


def test_show_article_by_id_and_by_prefix(searcher):
    top = searcher.search("social credit blacklist").hits[0]
    article = searcher.article(top.id)
    assert article.title == OPEN_SESAME
    assert article.text.startswith("Chinese social credit system has become a hot topic")
    assert searcher.article(top.id[:6]).id == top.id
    copy = searcher.article(top.duplicates[0].id)
    assert copy.source.endswith(F003)
    assert copy.canonical_id == top.id
    assert [d.id for d in copy.duplicates] == [top.id]  # from the copy, the shown one is listed
    with pytest.raises(ArticleNotFound, match="no article with id"):
        searcher.article("ffffffffffff")


def test_duplicate_clusters_and_stats(searcher):
    clusters = searcher.duplicate_clusters()
    assert [(c.title, c.source, [d.source for d in c.duplicates]) for c in clusters] == [
        (OPEN_SESAME, f"seeds/{F001}", [f"seeds/{F003}"])
    ]
    stats = searcher.stats()
    assert (stats["articles"], stats["distinct_articles"], stats["duplicates"]) == (21, 20, 1)
    assert (stats["duplicate_clusters"], stats["sources"], stats["skipped"]) == (1, 5, [])


def test_columns_read_in_bulk_equal_whoosh_reading_them_one_by_one(seed_store, tmp_path):
    """Story tables, facets and BM25 lengths come from numeric columns read as one slice; the
    values must be Whoosh's own, including documents past the column's last written value."""
    from whoosh import fields, index
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    from searchkit.query.postings import column_values

    schema = fields.Schema(
        body=fields.TEXT, year=fields.NUMERIC(int, bits=16, sortable=True, signed=False),
        date=fields.DATETIME(sortable=True),
    )  # fmt: skip
    ix = index.create_in(tmp_path, schema)
    with ix.writer() as w:
        w.add_document(body="one two three", year=2019, date=dt.datetime(2019, 2, 12))
        w.add_document(body="four", year=1999)
        w.add_document(body="five six")  # no year, no date: past the columns' written values
    checked = 0
    for ix_path in (tmp_path, seed_store.current()):
        with index.open_dir(str(ix_path)).searcher() as s:
            for leaf, _ in s.reader().leaf_readers():
                for name in ("year", "date"):
                    if leaf.has_column(name):
                        column = leaf.column_reader(name, translate=False)
                        assert column_values(column) == list(column)
                        checked += 1
                for name in ("body", "title"):
                    column = leaf._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
                    if column is not None:
                        assert column_values(column) == list(column)
                        checked += 1
    assert checked >= 5


def test_segment_files_read_from_the_map_give_the_same_bytes_as_whooshs_copy():
    from whoosh.filedb.structfile import BufferFile

    from searchkit.index.generations import mapped_file_class

    data = bytes(range(256)) * 64
    ours, theirs = mapped_file_class()(memoryview(data)), BufferFile(memoryview(data))
    assert ours._stream is None  # nothing copied until a sequential read asks for it
    assert ours.get(1000, 50) == theirs.get(1000, 50)
    assert ours.get_array(64, "I", 8) == theirs.get_array(64, "I", 8)
    ours.seek(300)
    theirs.seek(300)
    assert ours.read_varint() == theirs.read_varint() and ours.read(40) == theirs.read(40)
    ours.close()
    assert ours.is_closed


# --- how typed words weigh ----------------------------------------------------------------------


def test_a_question_finds_what_its_content_words_find(searcher):
    """Function words of a question ("what", "about", "i") are not searched when other words are:
    a rare one would outscore the words that say what is wanted."""
    asked = searcher.search("what is sesame credit about")
    plain = searcher.search("sesame credit")
    assert [h.id for h in asked.hits] == [h.id for h in plain.hits]
    assert asked.total == plain.total and asked.notices == plain.notices


def test_a_query_of_function_words_alone_is_searched_as_typed(searcher):
    assert searcher.search("who").total == searcher.search("who", any_word=True).total > 0


def test_a_word_typed_twice_weighs_twice(searcher):
    from searchkit.query.parse import plain_query

    index = searcher._index
    q = plain_query(index.whoosh.schema, index.params, "credit sesame credits", any_word=True)
    boosts = {(t.fieldname, t.text): t.boost for t in q.leaves()}
    assert boosts[("body", "credit")] == 2 * boosts[("body", "sesam")]
    assert boosts[("exact", "credit")] == 2 * boosts[("exact", "sesame")]


def test_idf_and_field_lengths_count_articles_not_the_index_records_beside_them(searcher):
    from searchkit.query.rank import article_count, avg_article_length

    whoosh = searcher._index.whoosh
    articles = searcher.stats()["articles"]
    assert whoosh.doc_count_all() > articles  # one record per file and two manifests besides
    assert article_count(whoosh) == articles
    assert avg_article_length(whoosh, "body") == whoosh.field_length("body") / articles


def test_feedback_reorders_the_matches_without_adding_any(seed_store):
    import dataclasses

    from searchkit.query.rank import RankingParams
    from searchkit.query.searcher import Searcher

    plain = RankingParams()
    expanded = dataclasses.replace(plain, feedback_terms=10, feedback_weight=1.0)
    with Searcher(seed_store, plain) as a, Searcher(seed_store, expanded) as b:
        first = a.search("credit score", any_word=True, limit=50, facets=False)
        again = b.search("credit score", any_word=True, limit=50, facets=False)
    assert again.total == first.total
    assert {h.id for h in again.hits} == {h.id for h in first.hits}
    assert [h.score for h in again.hits] != [h.score for h in first.hits]


def test_a_long_query_missing_a_word_is_not_respelled_into_another(searcher):
    """Neither the typed query nor a correction has every word: for a long query that is no sign
    of a typo ("cones" became "codes" in a CACM query)."""
    typed = "sesame credit scores blacklist citizens punishments zhejiang cluborhouse"
    assert searcher.search(typed).corrected is None
    short = searcher.search("sesame credit cluborhouse")  # short: a missing word is likely a typo
    assert short.corrected == "sesame credit clubhouse"
