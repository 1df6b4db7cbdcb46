"""searchkit's segment writer holds exactly what Whoosh's own writer would for the same documents.

Search reads the index through Whoosh and through ``searchkit.query.postings``; both must see the same
terms, frequencies, positions, lengths, stored fields and columns whichever writer made them. The
index-time analysis must give exactly the terms a query is analysed to.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from searchkit.analysis import (
    exact_analyzer,
    index_words,
    name_analyzer,
    text_analyzer,
    without_stop_words,
)
from searchkit.dedup import fingerprint
from searchkit.index import writer as fastwriter
from searchkit.index.documents import COMPOSED_FIELDS, article_document, file_document
from searchkit.index.schema import build_schema
from searchkit.index.writer import Analyser, SegmentBuilder, commit_segment
from searchkit.models import Article, DuplicateCluster, DuplicateRef, FileRecord

EXTRA = [
    Article(
        source="extra/cjk.txt",
        position=1,
        title="芝麻信用 and WeChat: 微信 privacy",
        body="深圳交警“刷脸”治交通违章 处罚或将挂钩个人信用. Tencent's U.S. unit said İstanbul "
        "and STRASSE and straße are words; a.b.c, x_y, 3.14 and ｆｕｌｌｗｉｄｔｈ too. 信",
        summary="A standfirst: the summary field.",
        authors=["Manya Koetse", "李 明"],
        date=dt.date(2018, 11, 5),
        year=2018,
        site="Whatsonweibo",
        category="China Digital",
        tags=["social credit", "Sesame"],
    ),
    Article(source="extra/bare.txt", position=1, title="Untitled", body="the the of a", year=None),
]


def documents(seed_articles) -> list[dict]:
    """Article documents (two of them a cluster of copies) and file documents, as indexing makes."""
    articles = [a for name in sorted(seed_articles) for a in seed_articles[name]] + EXTRA
    docs = []
    for i, article in enumerate(articles):
        if i == 1:  # the second article is a copy of the first
            cluster = DuplicateCluster(articles[0].id, articles[0].id, [])
        elif i == 0:
            cluster = DuplicateCluster(
                article.id, article.id, [DuplicateRef(articles[1].id, articles[1].source, 0.9)]
            )
        else:
            cluster = DuplicateCluster(article.id, article.id, [])
        docs.append(article_document(article, fingerprint(article.body), cluster))
    for name in sorted(seed_articles):
        ids = [a.id for a in seed_articles[name]]
        docs.append(file_document(FileRecord(name, 100, 1.5, "d" * 64, "utf-8", ids)))
    return docs


def whoosh_segment(path, docs, blocklimit):
    from whoosh.codec.whoosh3 import W3Codec

    ix = whoosh_index.create_in(str(path), build_schema())
    writer = ix.writer(codec=W3Codec(blocklimit=blocklimit))
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix


def our_segment(path, docs, blocklimit, *, processes=1):
    """Postings first (as the reader processes send them), cluster fields and stored values later."""
    schema = build_schema()
    ix = whoosh_index.create_in(str(path), schema)
    analyser = Analyser(schema, composed=COMPOSED_FIELDS)
    builder = SegmentBuilder(schema, tempdir=str(path), blocklimit=blocklimit)
    late = ("cluster", "canonical", "duplicated")
    for doc in docs:
        builder.add_postings(analyser(doc, [n for n in doc if n not in late]))
    builder.open(ix.storage)
    for docnum, doc in enumerate(docs):
        builder.complete(docnum, doc, analyser)
    commit_segment(ix, builder.finish(processes=processes))
    return ix


def contents(ix) -> dict:
    """Everything a reader can see of a one-segment index, block by block."""
    (segment,) = ix._segments()
    out: dict = {"doc_count": segment.doc_count_all(), "field_lengths": segment._fieldlengths}
    with ix.reader() as reader:
        out["stored"] = [reader.stored_fields(d) for d in range(reader.doc_count_all())]
        for name, field in reader.schema.items():
            if field.scorable:
                out[f"lengths:{name}"] = [
                    reader.doc_field_length(d, name) for d in range(reader.doc_count_all())
                ]
            if field.column_type and reader.has_column(name):
                out[f"column:{name}"] = list(reader.column_reader(name, translate=False))
        for fieldname, btext in reader.all_terms():
            info = reader.term_info(fieldname, btext)
            blocks = []
            matcher = reader.postings(fieldname, btext)
            while True:
                matcher._read_data()
                blocks.append(
                    (
                        matcher._blocklength,
                        matcher._maxid,
                        matcher._maxweight,
                        matcher._minlength,
                        matcher._maxlength,
                        matcher._data,
                    )
                )
                if matcher._lastblock:
                    break
                matcher._goto(matcher._nextoffset)
            out[(fieldname, btext)] = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
                blocks,
            )
    return out


# Blocks of Whoosh's 128 postings, and of 3 so that the seeds' posting lists span many blocks.
@pytest.fixture(scope="module", params=[128, 3], ids=["blocks of 128", "blocks of 3"])
def reference(request, seed_articles, tmp_path_factory):
    docs = documents(seed_articles)
    ix = whoosh_segment(tmp_path_factory.mktemp("whoosh"), docs, request.param)
    return docs, request.param, contents(ix)


def test_the_segment_holds_what_whooshs_writer_writes(reference, tmp_path):
    docs, blocklimit, expected = reference
    assert contents(our_segment(tmp_path, docs, blocklimit)) == expected


def test_blocks_finished_while_documents_arrive_change_nothing(reference, tmp_path, monkeypatch):
    """Big runs finish full blocks as they go (and in a helper process at the end); a tiny flush
    size makes the seeds exercise both."""
    docs, blocklimit, expected = reference
    monkeypatch.setattr(SegmentBuilder, "FLUSH_POSTINGS", 40)
    monkeypatch.setattr(fastwriter.helper, "_SPLIT_FROM", 0)  # where it is defined
    assert contents(our_segment(tmp_path, docs, blocklimit, processes=2)) == expected


def test_search_reads_the_segment(seed_articles, tmp_path):
    """Whoosh's own matchers walk the posting lists: documents in order, positions decoded."""
    docs = documents(seed_articles)
    ix = our_segment(tmp_path, docs, 3)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = list(reader.postings("kind", b"article").all_ids())
        assert ids == [d for d, doc in enumerate(docs) if doc["kind"] == "article"]
        matcher = reader.postings("body", b"blacklist")
        found = {}
        while matcher.is_active():
            found[matcher.id()] = matcher.value_as("positions")
            matcher.next()
        assert found and all(positions == sorted(positions) for positions in found.values())
        words = {d: docs[d]["body"].lower().split() for d in found}
        assert all(any("blacklist" in w for w in words[d]) for d in found)


def test_postings_out_of_document_order_are_refused(tmp_path):
    schema = build_schema()
    analyser = Analyser(schema)
    builder = SegmentBuilder(schema, tempdir=str(tmp_path))
    monkey_limit = 2
    builder.FLUSH_POSTINGS = monkey_limit
    builder.add_postings(analyser({"title": "giant pandas"}))
    builder.add_postings(analyser({"title": "giant pandas"}))  # flushed: documents 0 and 1 done
    with pytest.raises(ValueError, match="out of document order"):
        builder._add("title", 0, analyser({"title": "zoo"})["title"])


# --- analysis -------------------------------------------------------------------------------------

WORDS = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ .,;'’“”-_\n\t0129") + list("İıßẞéÉ芝麻信用微信はひらがなカタカナ한국어ｆＡ")
    ),
    max_size=60,
)


def whoosh_postings(analyzer, fmt, text: str) -> list[tuple]:
    return sorted(
        (term.encode(), freq, weight, value)
        for term, freq, weight, value in fmt.word_values(text, analyzer, mode="index")
    )


def our_postings(schema, fieldname: str, text: str) -> list[tuple]:
    postings = Analyser(schema)({fieldname: text})[fieldname]
    terms = postings.terms.split(b"\n") if postings.terms else []
    values = postings.values
    if values is None:  # the Frequency format's value is the frequency (the builder encodes it)
        assert isinstance(schema[fieldname].format, Frequency)
        values = [pack_uint(freq) for freq in postings.freqs]
    return sorted(
        (term, freq, float(freq), value)
        for term, freq, value in zip(terms, postings.freqs, values, strict=True)
    )


@settings(max_examples=300, deadline=None)
@given(WORDS)
def test_index_analysis_gives_the_terms_and_positions_whoosh_gives(text):
    schema = build_schema()
    assert our_postings(schema, "body", text) == whoosh_postings(text_analyzer(), Positions(), text)
    assert our_postings(schema, "exact", text) == whoosh_postings(
        exact_analyzer(), Frequency(), text
    )
    assert our_postings(schema, "authors", text) == whoosh_postings(
        name_analyzer(), Positions(), text
    )


@settings(max_examples=200, deadline=None)
@given(WORDS, WORDS, WORDS)
def test_the_exact_field_reuses_the_words_of_its_parts(title, summary, body):
    schema = build_schema()
    joined = "\n".join((title, summary, body))
    doc = {"title": title, "summary": summary, "body": body, "exact": joined}
    reused = Analyser(schema, composed=COMPOSED_FIELDS)(doc)["exact"]
    alone = Analyser(schema)({"exact": joined})["exact"]
    assert reused.terms == alone.terms and reused.freqs == alone.freqs
    assert reused.length == alone.length


def test_a_composed_field_that_is_not_the_join_is_analysed_itself():
    schema = build_schema()
    doc = {"title": "pandas", "summary": "", "body": "zoo", "exact": "something else entirely"}
    got = Analyser(schema, composed=COMPOSED_FIELDS)(doc)["exact"]
    assert sorted(got.terms.split(b"\n")) == [b"else", b"entirely", b"something"]


def test_stop_words_are_dropped_and_positions_renumbered():
    words = index_words("The giant pandas of the zoo", 2)
    assert words == ["the", "giant", "pandas", "of", "the", "zoo"]
    assert without_stop_words(words) == (["giant", "pandas", "zoo"], 1)
