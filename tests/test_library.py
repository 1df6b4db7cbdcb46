"""The public Python API (``searchkit.open`` / ``Index``): what a notebook user gets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import searchkit
from searchkit.index.generations import IndexMissing, IndexStore
from searchkit.query.searcher import ArticleNotFound, QueryError


@pytest.fixture()
def ix(seed_store: IndexStore):
    with searchkit.open(seed_store.path) as index:
        yield index


def test_open_search_finds_open_sesame_first_once(ix):
    results = ix.search("social credit blacklist", limit=5)
    assert results.hits[0].title.startswith("Open Sesame")
    assert [h.title for h in results.hits].count(results.hits[0].title) == 1
    assert results.hits[0].authors == ["Manya Koetse"]
    assert len(results.hits[0].duplicates) == 1


def test_keyword_filters_narrow_the_results(ix):
    everything = ix.search("china", limit=50)
    since_2019 = ix.search("china", since="2019", limit=50)
    assert 0 < since_2019.total < everything.total
    assert all(h.date is None or h.date >= dt.date(2019, 1, 1) for h in since_2019.hits)
    by_site = ix.search("china", site="Whatsonweibo", limit=50)
    assert by_site.total and all(h.site == "Whatsonweibo" for h in by_site.hits)
    by_author = ix.search("china", author="koetse", limit=50)
    assert by_author.total and all("Manya Koetse" in h.authors for h in by_author.hits)


def test_a_bad_date_is_a_one_line_query_error(ix):
    with pytest.raises(QueryError, match="garbage"):
        ix.search("china", since="garbage")


def test_article_similar_duplicates_and_stats_agree(ix):
    top = ix.search("social credit blacklist", limit=1).hits[0]
    article = ix.article(top.id)
    assert article.title == top.title and "blacklist" in article.text.lower()
    assert top.id not in [h.id for h in ix.similar(top.id, limit=5)]
    assert [c.id for c in ix.duplicates()] == [top.id]
    stats = ix.stats()
    assert (stats["articles"], stats["distinct_articles"]) == (21, 20)
    with pytest.raises(ArticleNotFound):
        ix.article("000000000000")


def test_update_index_builds_an_index_the_api_then_searches(tmp_path: Path, seeds_dir: Path):
    report = searchkit.update_index([seeds_dir], index=tmp_path / "ix")
    assert (report.articles, report.distinct) == (21, 20)
    with searchkit.open(tmp_path / "ix") as ix:
        assert ix.search("wechat privacy").total > 0


def test_opening_a_folder_without_an_index_fails_on_use_with_one_line(tmp_path: Path):
    ix = searchkit.open(tmp_path / "nothing")
    with pytest.raises(IndexMissing, match="no index at"):
        ix.search("china")
