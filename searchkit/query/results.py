"""Results: ranked stories -> the ``Hit`` and ``StoredArticle`` records a caller is given.

In: an ``OpenIndex``, the query (for what to mark in snippets) and ``(story, docnum, score)``
triples from ``order``; or an article's stored fields. Out: ``Hit``s — each story shown by its
canonical copy, with its rank, score, copies and a snippet marking the query's words
(``snippets``), and on request the score's breakdown (``order.explain``); ``StoredArticle`` for
one article with its other copies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from whoosh import query

from searchkit.analysis import is_cjk
from searchkit.models import DuplicateRef, Hit, StoredArticle, web_url
from searchkit.query import order, snippets
from searchkit.query import rank as ranking
from searchkit.query.snapshot import OpenIndex

_TEXT_FIELDS = frozenset(("title", "summary", "body", "exact"))


def hits(
    index: OpenIndex,
    q: query.Query,
    ranked: order.Ranked,
    first_rank: int = 1,
    *,
    explain: bool = False,
) -> list[Hit]:
    """One ``Hit`` per ranked story, numbered from ``first_rank``, showing its canonical copy."""
    highlight = highlight_of(index, q)
    canonical = index.table.canonical
    out = []
    for rank, (story, docnum, score) in enumerate(ranked, first_rank):
        hit = make_hit(index, rank, canonical[story], score, highlight)
        if explain:
            hit.explanation = order.explain(index, q, docnum)
        out.append(hit)
    return out


def make_hit(
    index: OpenIndex, rank: int, docnum: int, score: float, highlight: snippets.Highlight
) -> Hit:
    """The hit for document ``docnum`` at ``rank``, its snippet marking ``highlight``."""
    stored = index.whoosh.stored_fields(docnum)
    meta = stored["meta"]
    return Hit(
        rank=rank,
        id=stored["id"],
        title=stored["title"],
        authors=list(meta["authors"]),
        date=stored_date(meta["date"]),
        site=meta["site"],
        category=meta["category"],
        source=stored["source"],
        score=round(score, 4),
        snippet=snippets.make_snippet(stored["body"], highlight),
        duplicates=stored_refs(meta["duplicates"]),
        title_derived=meta["title_derived"],
        url=web_url(meta.get("url")),
    )


def marked_paragraphs(
    index: OpenIndex, q: query.Query, paragraphs: list[str]
) -> list[snippets.Snippet]:
    """Each paragraph with the query's words marked (the article view of a search's hit)."""
    highlight = highlight_of(index, q)
    return [snippets.mark_all(p, highlight) for p in paragraphs]


def highlight_of(index: OpenIndex, q: query.Query) -> snippets.Highlight:
    """The query's matched body words (wildcards expanded), phrases and CJK strings, by idf."""
    reader = index.reader()
    light = snippets.Highlight()

    def weight(term: str) -> float:
        return index.bulk.lucene_idf("body", term)

    for leaf in ranking.scoring_leaves(q):
        fieldname = getattr(leaf, "fieldname", None)
        if fieldname not in _TEXT_FIELDS:
            continue
        if isinstance(leaf, query.Phrase):
            words = [str(w) for w in leaf.words]
            if all(is_cjk(w) for w in words):
                light.cjk[_join_bigrams(words)] = sum(weight(w) for w in words)
            elif fieldname != "exact":
                light.phrases[tuple(words)] = sum(weight(w) for w in words)
            continue
        # Not Query.existing_terms: in Whoosh 2.7 its loop variable shadows its `fieldname`
        # argument, so it drops every field after the first one it meets.
        for name, text in leaf.expanded_terms(reader, phrases=True):
            word = text.decode("utf-8") if isinstance(text, bytes) else str(text)
            if (name, word) not in reader:
                continue
            if is_cjk(word):
                chars = getattr(leaf, "cjk_char", word)
                light.cjk.setdefault(chars, weight(word))
            elif name == "exact":
                light.terms.setdefault(ranking_stem(word), weight(ranking_stem(word)))
            else:
                light.terms.setdefault(word, weight(word))
    return light


def ranking_stem(word: str) -> str:
    """The stem the index keeps for ``word`` (how an exact-word match is marked)."""
    from searchkit.analysis import stem

    return stem(word)


def to_article(index: OpenIndex, stored: dict[str, Any]) -> StoredArticle:
    """The article these stored fields hold, with the other copies of its story."""
    meta = stored["meta"]
    canonical_id = meta["canonical_id"]
    if stored["id"] == canonical_id:
        duplicates = stored_refs(meta["duplicates"])
    else:
        canonical = stored_article(index, canonical_id)
        refs = stored_refs(canonical["meta"]["duplicates"]) if canonical else []
        duplicates = [DuplicateRef(canonical_id, canonical["source"] if canonical else "")]
        duplicates += [r for r in refs if r.id != stored["id"]]
    return StoredArticle(
        id=stored["id"],
        title=stored["title"],
        summary=stored.get("summary") or None,
        authors=list(meta["authors"]),
        date=stored_date(meta["date"]),
        year=meta["year"],
        site=meta["site"],
        category=meta["category"],
        tags=list(meta["tags"]),
        source=stored["source"],
        position=meta["position"],
        text=stored["body"],
        title_derived=meta["title_derived"],
        canonical_id=canonical_id,
        duplicates=duplicates,
        url=web_url(meta.get("url")),
    )


def stored_article(index: OpenIndex, article_id: str) -> dict[str, Any] | None:
    """The stored fields of the article with exactly this id, or None."""
    found: dict[str, Any] | None = index.whoosh.document(id=article_id, kind="article")
    return found


def stored_refs(items: list[dict[str, Any]]) -> list[DuplicateRef]:
    return [DuplicateRef(d["id"], d["source"], d.get("similarity", 1.0)) for d in items]


def stored_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _join_bigrams(words: list[str]) -> str:
    """The CJK string a run of bigrams spells: 芝麻 麻信 信用 -> 芝麻信用."""
    return words[0] + "".join(w[-1] for w in words[1:])
