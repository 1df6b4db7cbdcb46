"""Evaluation: a test collection -> nDCG@10, MRR@10 and Recall@100 for searchkit and its peers.

In: a collection folder in one of three layouts, or a judged query set for an existing index.

- BEIR: ``corpus.jsonl`` ({"_id", "title", "text"}), ``queries.jsonl`` ({"_id", "text"}) and
  ``qrels/*.tsv`` (``query-id  corpus-id  score``, header line) or any TREC qrels file.
- SMART (Cranfield, CISI, …): ``*.all.*`` or ``*.all`` documents (``.I``/``.T``/``.A``/``.B``/``.W``),
  ``*.qry`` queries, ``*qrel*`` judgments; queries are numbered by position (the judgments'
  numbering), and a negative code is no grade. Graded codes 1 (best) … 4 become gains 4 … 1.
- TREC qrels (``qid 0 docid grade``) may replace the BEIR tsv anywhere.
- A judged set (JSON, ``{"queries": [{"id", "text", "judgments": {title-or-id: grade}}]}``) runs
  against an index the user already has (``tests/judged/seeds.json`` for the seeds).

Out: one ``SystemScore`` per system. searchkit indexes the collection's documents (title + text)
through its own schema into a temporary index and searches each query with any-word matching
(as evaluation collections are judged); SQLite FTS5 (porter tokenizer, ``bm25()``, the query's words
OR-ed) and stock Whoosh (``StemmingAnalyzer``, BM25F defaults) run over the same documents and
queries in the same run (searchkit/peers.py, the engines bench/ times too). Collections are indexed without duplicate collapsing: each judged document
is its own story.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from searchkit.analysis import TOKEN_PATTERN

Qrels = dict[str, dict[str, int]]  # query id -> document id -> grade (> 0 relevant)
Run = dict[str, list[str]]  # query id -> ranked document ids


class EvalError(ValueError):
    """A collection that cannot be read; the message is one line."""


@dataclass(slots=True)
class Collection:
    name: str
    documents: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]  # id -> text
    qrels: Qrels


@dataclass(slots=True)
class SystemScore:
    system: str
    ndcg10: float
    mrr10: float
    recall100: float
    queries: int
    per_query: dict[str, float] = field(default_factory=dict)  # nDCG@10 of each query

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "ndcg@10": round(self.ndcg10, 4),
            "mrr@10": round(self.mrr10, 4),
            "recall@100": round(self.recall100, 4),
            "queries": self.queries,
        }


# --- metrics ----------------------------------------------------------------------------------------


def ndcg(ranked: list[str], grades: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (the grade) and log2 discounts, as trec_eval computes it."""
    dcg = sum(grades.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: list[str], grades: Mapping[str, int], k: int = 10) -> float:
    for i, doc in enumerate(ranked[:k]):
        if grades.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def recall(ranked: list[str], grades: Mapping[str, int], k: int = 100) -> float:
    relevant = {doc for doc, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def score_run(system: str, run: Run, qrels: Qrels) -> SystemScore:
    """Mean metrics over the judged queries that have a relevant document (missing runs score 0)."""
    judged = [q for q, grades in qrels.items() if any(g > 0 for g in grades.values())]
    if not judged:
        raise EvalError("no query has a relevant document in the judgments")
    per_query = {q: ndcg(run.get(q, []), qrels[q]) for q in judged}
    n = len(judged)
    return SystemScore(
        system,
        sum(per_query.values()) / n,
        sum(mrr(run.get(q, []), qrels[q]) for q in judged) / n,
        sum(recall(run.get(q, []), qrels[q]) for q in judged) / n,
        n,
        per_query,
    )


# --- reading collections ----------------------------------------------------------------------------


def load_collection(folder: str | Path) -> Collection:
    path = Path(folder)
    if not path.is_dir():
        raise EvalError(f"{path} is not a folder")
    if (path / "corpus.jsonl").is_file():
        return _load_beir(path)
    smart = [p for p in path.iterdir() if re.search(r"\.all(\.\d+)?$", p.name)]
    if smart:
        return _load_smart(path, smart[0])
    raise EvalError(f"{path} holds neither corpus.jsonl (BEIR) nor a SMART *.all file")


def _load_beir(path: Path) -> Collection:
    documents = {}
    for row in _jsonl(path / "corpus.jsonl"):
        documents[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    queries = {str(row["_id"]): row["text"] for row in _jsonl(path / "queries.jsonl")}
    qrel_files = sorted((path / "qrels").glob("*.tsv")) if (path / "qrels").is_dir() else []
    qrel_files = [p for p in qrel_files if p.stem == "test"] or qrel_files
    qrel_files += sorted(path.glob("*qrel*"))
    if not qrel_files:
        raise EvalError(f"{path} has no qrels (qrels/test.tsv or a TREC qrels file)")
    return Collection(path.name, documents, queries, read_qrels(qrel_files[0]))


def _jsonl(path: Path) -> Iterable[dict]:
    if not path.is_file():
        raise EvalError(f"missing {path}")
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    raise EvalError(f"{path}:{n}: not JSON") from None


def read_qrels(path: str | Path) -> Qrels:
    """BEIR tsv (``query-id corpus-id score``, a header) or TREC (``qid iter docid grade``)."""
    qrels: Qrels = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        cols = line.split()
        if not cols:
            continue
        if len(cols) == 3:
            qid, doc, grade = cols
        elif len(cols) == 4:
            qid, _, doc, grade = cols
        else:
            raise EvalError(f"{path}:{n}: expected 3 (BEIR) or 4 (TREC) columns")
        try:
            value = int(float(grade))
        except ValueError:
            if n == 1:
                continue  # the BEIR header
            raise EvalError(f"{path}:{n}: grade {grade!r} is not a number") from None
        qrels.setdefault(qid, {})[doc] = value
    return qrels


def _smart_blocks(text: str) -> list[tuple[str, dict[str, str]]]:
    """``.I n`` records of a SMART file, each as {field letter: text with whitespace flattened}."""
    records = []
    for chunk in re.split(r"^\.I[ \t]+", text, flags=re.M)[1:]:
        number, _, rest = chunk.partition("\n")
        pieces = re.split(r"^\.([A-Z])[ \t]*\n", rest, flags=re.M)
        fields = {
            letter: " ".join(body.split())
            for letter, body in zip(pieces[1::2], pieces[2::2], strict=True)
        }
        records.append((number.strip(), fields))
    return records


def _load_smart(path: Path, docs_file: Path) -> Collection:
    documents = {}
    for number, fields in _smart_blocks(docs_file.read_text(encoding="utf-8", errors="replace")):
        documents[number] = (fields.get("T", ""), fields.get("W", ""))
    query_files = sorted(p for p in path.iterdir() if p.name.endswith(".qry"))
    qrel_files = sorted(p for p in path.iterdir() if "qrel" in p.name.lower())
    if not query_files or not qrel_files:
        raise EvalError(f"{path}: a SMART collection needs a *.qry and a *qrel* file")
    # Judgments number queries 1..n in file order, whatever their .I numbers say.
    blocks = _smart_blocks(query_files[0].read_text(encoding="utf-8", errors="replace"))
    queries = {str(n): fields.get("W", "") for n, (_, fields) in enumerate(blocks, 1)}
    qrels: Qrels = {}
    for n, line in enumerate(qrel_files[0].read_text(encoding="utf-8").splitlines(), 1):
        cols = line.split()
        if not cols:
            continue
        if len(cols) < 3:
            raise EvalError(f"{qrel_files[0]}:{n}: expected 'query doc code'")
        qid, doc, code = cols[0], cols[1], int(cols[2])
        if code < 1:
            continue  # -1: not a relevance grade
        qrels.setdefault(qid, {})[doc] = max(1, 5 - code)  # code 1 (complete) .. 4 -> gain 4 .. 1
    return Collection(path.name, documents, queries, qrels)


def query_words(text: str) -> str:
    """A natural-language query as plain words (no query-language operators), for every system."""
    return " ".join(m.group(0) for m in TOKEN_PATTERN.finditer(text.replace("_", " ")))


# --- systems ----------------------------------------------------------------------------------------


def run_searchkit(
    collection: Collection, index_dir: Path, params=None, depth: int = 100
) -> tuple[Run, Callable[[object], Run]]:
    """Index the collection with searchkit's schema; return its run and a re-runner for params."""
    from searchkit.index.generations import IndexStore
    from searchkit.query.searcher import Searcher

    store = IndexStore(index_dir)
    build_collection_index(collection, store)

    def run_with(ranking_params) -> Run:
        run: Run = {}
        with Searcher(store, ranking_params) as searcher:
            for qid, text in collection.queries.items():
                words = query_words(text)
                if not words:
                    continue
                sources = searcher.ranked_sources(words, depth, any_word=True)
                run[qid] = [source.rpartition("/")[2] for source in sources]
        return run

    return run_with(params), run_with


def build_collection_index(collection: Collection, store) -> None:
    """A searchkit index of the collection's documents, one story each (no duplicate detection)."""
    from searchkit.index.build import write_articles
    from searchkit.models import Article

    articles = [
        Article(
            source=f"{collection.name}/{doc_id}",
            position=1,
            title=title or text[:80],
            body=text,
            title_derived=not title,
        )
        for doc_id, (title, text) in collection.documents.items()
    ]
    write_articles(store, articles, roots=[collection.name])


def _docs(collection: Collection) -> list:
    from searchkit.peers import Doc

    return [Doc(doc_id, title, text) for doc_id, (title, text) in collection.documents.items()]


def run_fts5(collection: Collection, depth: int = 100) -> Run:
    """SQLite FTS5 (searchkit.peers) with the porter tokenizer and bm25(), the query's words OR-ed."""
    from searchkit.peers import Fts5

    engine = Fts5(None, title_weight=1.0, optimize=False)  # in memory, bm25's default weights
    engine.build(_docs(collection))
    run: Run = {}
    for qid, text in collection.queries.items():
        words = query_words(text).split()
        if not words:
            continue
        run[qid] = engine.search_words(words, depth, any_word=True)
    engine.close()
    return run


def run_stock_whoosh(collection: Collection, index_dir: Path, depth: int = 100) -> Run:
    """Whoosh as its tutorial sets it up (searchkit.peers): StemmingAnalyzer, BM25F, words OR-ed."""
    from searchkit.peers import StockWhoosh

    engine = StockWhoosh(index_dir, limitmb=256)
    engine.build(_docs(collection))
    run: Run = {}
    for qid, text in collection.queries.items():
        words = query_words(text)
        if not words:
            continue
        run[qid] = engine.query(words, depth, any_word=True)
    return run


def evaluate_collection(
    folder: str | Path, *, peers: bool = True, params=None
) -> tuple[Collection, list[SystemScore]]:
    """Every system over one collection, in one run."""
    collection = load_collection(folder)
    scores = []
    with tempfile.TemporaryDirectory(prefix="searchkit-eval-") as tmp:
        run, _ = run_searchkit(collection, Path(tmp) / "searchkit", params)
        scores.append(score_run("searchkit", run, collection.qrels))
        if peers:
            scores.append(score_run("sqlite-fts5-bm25", run_fts5(collection), collection.qrels))
            stock = run_stock_whoosh(collection, Path(tmp) / "whoosh")
            scores.append(score_run("whoosh-stock-bm25f", stock, collection.qrels))
    return collection, scores


# --- judged sets over an existing index -------------------------------------------------------------


@dataclass(slots=True)
class JudgedQuery:
    id: str
    text: str
    kind: str
    judgments: dict[str, int]  # article title or id -> grade


def load_judged(path: str | Path) -> list[JudgedQuery]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalError(f"cannot read judged set {path}: {exc}") from None
    return [
        JudgedQuery(str(q["id"]), q["text"], q.get("kind", ""), dict(q["judgments"]))
        for q in data["queries"]
    ]


def evaluate_judged(searcher, judged: list[JudgedQuery], depth: int = 100) -> SystemScore:
    """Run each judged query as a user would (default matching) and score it by title or id."""
    run: Run = {}
    qrels: Qrels = {}
    for jq in judged:
        results = searcher.search(jq.text, limit=depth, facets=False)
        run[jq.id] = [_judged_key(hit, jq.judgments) for hit in results.hits]
        qrels[jq.id] = jq.judgments
    return score_run("searchkit", run, qrels)


def _judged_key(hit, judgments: Mapping[str, int]) -> str:
    return hit.id if hit.id in judgments else hit.title


def report_text(collection_name: str, scores: list[SystemScore]) -> str:
    lines = [
        f"{collection_name}: {scores[0].queries} judged queries",
        f"{'system':<22} {'nDCG@10':>8} {'MRR@10':>8} {'R@100':>8}",
    ]
    for s in scores:
        lines.append(f"{s.system:<22} {s.ndcg10:8.4f} {s.mrr10:8.4f} {s.recall100:8.4f}")
    return "\n".join(lines)
