"""Incremental indexing: a re-run reads only what changed, and ends where a rebuild would."""

from __future__ import annotations

import os
import shutil

import pytest
from whoosh import query

from searchkit.index.build import build_index, update_index
from searchkit.index.generations import IndexStore, StoreError
from searchkit.ingest.discover import FileFilters
from searchkit.query.searcher import Searcher

F000 = "000_8c6565e280eec17d.txt"
F001 = "001_988f91d272dd2678.txt"
F003 = "003_2ea9e9789186997a.txt"
OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"


@pytest.fixture()
def indexed(corpus_dir, tmp_path):
    store = IndexStore(tmp_path / "index")
    update_index([corpus_dir], store)
    return corpus_dir, store


def snapshot(store: IndexStore) -> dict[str, tuple]:
    """Every stored document, as the facts a user could notice (text, cluster, copies)."""
    with Searcher(store) as searcher:
        out = {}
        for fields in searcher.documents(query.Every()):
            meta = fields["meta"]
            if fields["kind"] == "article":
                out[fields["id"]] = (
                    fields["title"],
                    fields["body"],
                    fields["cluster"],
                    fields["canonical"],
                    tuple((d["id"], d["similarity"]) for d in meta["duplicates"]),
                    meta["canonical_id"],
                )
            elif fields["kind"] == "file":
                out[fields["id"]] = (meta["digest"], tuple(meta["article_ids"]))
        return out


def bump_mtime(path, seconds=10):
    st = path.stat()
    os.utime(path, (st.st_atime + seconds, st.st_mtime + seconds))


def test_a_rerun_with_nothing_changed_reads_nothing_and_writes_nothing(indexed):
    corpus, store = indexed
    live = store.current()
    report = update_index([corpus], store)
    assert not report.changed
    assert (report.files_seen, report.files_read, report.files_unchanged) == (5, 0, 5)
    assert (report.articles, report.distinct, report.duplicate_clusters) == (21, 20, 1)
    assert store.current() == live  # no new generation
    # no PATH: re-scan the remembered root
    again = update_index([], store)
    assert not again.changed and again.files_unchanged == 5


def test_a_touched_file_is_hashed_not_reparsed_and_then_left_alone(indexed):
    corpus, store = indexed
    before = snapshot(store)
    bump_mtime(corpus / F000)
    report = update_index([], store)
    assert (report.files_read, report.files_unchanged, report.articles_added) == (1, 5, 0)
    assert snapshot(store) == before
    assert update_index([], store).files_read == 0  # the new mtime was remembered


def test_an_edited_file_replaces_its_articles(indexed):
    corpus, store = indexed
    path = corpus / F000
    path.write_text(path.read_text().replace("Sesame Credit", "Tortoise Credit"))
    bump_mtime(path)
    report = update_index([], store)
    assert report.files_read == 1 and report.files_unchanged == 4
    assert report.articles_added == 0 and report.articles_updated >= 1
    with Searcher(store) as searcher:
        hits = searcher.search("tortoise").hits
        assert hits and {h.source for h in hits} == {f"corpus/{F000}"}
        assert searcher.stats()["articles"] == 21


def test_deleting_a_copy_updates_the_cluster_it_was_in(indexed):
    corpus, store = indexed
    (corpus / F003).unlink()
    report = update_index([], store)
    assert report.files_removed == 1
    assert report.articles_removed == 3  # 003 held the copy of Open Sesame and two other stories
    assert (report.articles, report.duplicate_clusters) == (18, 0)
    assert report.articles_updated == 1  # 001's Open Sesame is no longer a cluster of two
    with Searcher(store) as searcher:
        (top, *_) = searcher.search("social credit blacklist").hits
        assert top.title == OPEN_SESAME and top.duplicates == []
        assert searcher.duplicate_clusters() == []


def test_adding_a_copy_joins_the_existing_cluster(indexed):
    corpus, store = indexed
    shutil.copy(corpus / F001, corpus / "zz_copy.txt")
    report = update_index([], store)
    assert (report.files_read, report.articles_added) == (1, 3)  # 001 holds 3 articles
    with Searcher(store) as searcher:
        top = searcher.search("social credit blacklist").hits[0]
        assert top.title == OPEN_SESAME
        assert sorted(d.source for d in top.duplicates) == [
            "corpus/003_2ea9e9789186997a.txt",
            "corpus/zz_copy.txt",
        ]


@pytest.mark.parametrize("blocks", ["written at the end", "written while files are read"])
def test_incremental_runs_end_exactly_where_a_rebuild_does(
    corpus_dir, tmp_path, monkeypatch, blocks
):
    if blocks == "written while files are read":  # as on a big corpus: full blocks flushed early
        monkeypatch.setattr("searchkit.index.writer.SegmentBuilder.FLUSH_POSTINGS", 50)
    incremental = IndexStore(tmp_path / "inc")
    update_index([corpus_dir], incremental, workers=2)
    (corpus_dir / F003).unlink()
    shutil.copy(corpus_dir / F001, corpus_dir / "copy_of_001.txt")
    path = corpus_dir / F000
    path.write_text(path.read_text() + "\n\nA closing paragraph added in a later edit.\n")
    bump_mtime(path)
    update_index([], incremental, workers=2)
    rebuilt = IndexStore(tmp_path / "full")
    build_index([corpus_dir], rebuilt, workers=2)
    assert snapshot(incremental) == snapshot(rebuilt)


def test_a_file_that_stays_bad_is_not_read_again(indexed):
    corpus, store = indexed
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    first = update_index([], store)
    assert first.files_read == 1
    second = update_index([], store)
    assert second.files_read == 0 and not second.changed
    assert [(s.relpath, s.reason) for s in second.skipped] == [
        ("corpus/binary.txt", "binary file (not text)")
    ]


def test_paths_add_roots_and_no_path_rescans_them_all(tmp_path, seeds_dir):
    a = tmp_path / "a" / "news"
    b = tmp_path / "b" / "news"  # same folder name: a distinct label is chosen
    shutil.copytree(seeds_dir, a)
    b.mkdir(parents=True)
    (b / "note.md").write_text("# Panda diplomacy\n\nTwo giant pandas arrived at the zoo.\n")
    store = IndexStore(tmp_path / "index")
    update_index([a], store)
    report = update_index([b], store)
    assert report.files_seen == 1 and report.articles == 22
    assert report.roots == [str(a), str(b)]
    with Searcher(store) as searcher:
        assert searcher.search("giant pandas").hits[0].source == "b/news/note.md"
        assert searcher.search("sesame").hits[0].source.startswith("news/")
    (b / "note.md").unlink()
    (a / F000).unlink()
    rescan = update_index([], store)
    assert rescan.files_removed == 2 and rescan.articles == 22 - 1 - 3  # 000 held 3 articles
    # --rebuild starts over with only the given folder
    (b / "other.md").write_text("# Other\n\nA note about tea and trains and the weather.\n")
    rebuilt = update_index([b], store, rebuild=True)
    assert (rebuilt.roots, rebuilt.articles) == ([str(b)], 1)


def test_a_missing_root_keeps_its_articles(indexed, tmp_path):
    corpus, store = indexed
    moved = tmp_path / "moved"
    corpus.rename(moved)
    report = update_index([], store)
    assert report.articles == 21 and report.files_removed == 0
    assert report.skipped[0].relpath == "corpus"
    assert "stay indexed" in report.skipped[0].reason
    moved.rename(corpus)
    assert update_index([], store).files_read == 0


def test_exclude_globs_are_remembered_and_remove_what_they_exclude(indexed):
    _, store = indexed
    report = update_index([], store, filters=FileFilters(exclude=("003_*",)))
    assert report.files_removed == 1 and report.articles == 18
    # the next plain run keeps the option: 003 stays out
    again = update_index([], store)
    assert not again.changed and again.articles == 18
    assert store.meta()["options"]["exclude"] == ["003_*"]


def test_an_index_inside_the_indexed_folder_is_not_read(tmp_path, seeds_dir):
    shutil.copytree(seeds_dir, tmp_path / "seeds")
    store = IndexStore(tmp_path / "seeds" / "index")
    (tmp_path / "seeds" / "index").mkdir()
    report = update_index([tmp_path / "seeds"], store)
    assert report.files == 5
    assert update_index([], store).files_seen == 5


def test_a_write_that_loses_documents_is_not_published(indexed, monkeypatch):
    """The document count is checked after the commit: a lost segment never goes live."""
    import searchkit.index.writer as fastwriter

    corpus, store = indexed
    live = store.current()
    real_commit = fastwriter.commit_segment

    def commit_without_the_segment(ix, segment, delete=()):
        return real_commit(ix, None, delete)

    monkeypatch.setattr(fastwriter, "commit_segment", commit_without_the_segment)
    (corpus / "new.md").write_text("# Panda diplomacy\n\nTwo giant pandas arrived at the zoo.\n")
    with pytest.raises(StoreError, match="nothing was published"):
        update_index([], store)
    assert store.current() == live
    monkeypatch.undo()
    assert update_index([], store).articles == 22


def test_an_article_survives_the_round_trip_through_its_stored_document(seed_articles):
    """Re-writing an article whose cluster changed starts from its stored document: nothing lost."""
    from searchkit.dedup import fingerprint
    from searchkit.index.build import article_document, article_from_stored
    from searchkit.index.schema import build_schema
    from searchkit.models import DuplicateCluster

    schema_stored = set(build_schema().stored_names())
    for articles in seed_articles.values():
        for article in articles:
            alone = DuplicateCluster(article.id, article.id, [])
            doc = article_document(article, fingerprint(article.body), alone)
            # what Whoosh stores: ``_stored_<name>`` in place of the indexed value, if given
            stored = {k: doc.get("_stored_" + k, v) for k, v in doc.items() if k in schema_stored}
            assert article_from_stored(stored) == article
