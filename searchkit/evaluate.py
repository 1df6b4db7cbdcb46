"""Evaluation: a test collection -> nDCG@10, MRR@10 and Recall@100 for searchkit and its peers.

In: a collection folder in one of three layouts, or a judged query set for an existing index.

- BEIR: ``corpus.jsonl`` ({"_id", "title", "text"}), ``queries.jsonl`` ({"_id", "text"}) and
  ``qrels/*.tsv`` (``query-id  corpus-id  score``, header line) or any TREC qrels file.
- SMART (Cranfield, CACM, CISI, …): ``*.all.*`` or ``*.all`` documents (``.I``/``.T``/``.W``…),
  ``*.qry`` or ``query.text`` queries, ``*qrel*`` judgments. Queries take the ids the judgments
  use (``.I`` numbers for CACM, positions for Cranfield) and are refused when neither lines up.
  Cranfield's graded codes 1 (best) … 4 become gains 4 … 1 (-1 is no grade); CACM's
  ``query doc 0 0`` rows are binary.
- TREC qrels (``qid 0 docid grade``) may replace the BEIR tsv anywhere.
- A judged set (JSON, ``{"queries": [{"id", "text", "judgments": {title-or-id: grade}}]}``) runs
  against an index the user already has (``tests/judged/seeds.json`` for the seeds).

Out: one ``SystemScore`` per system. searchkit is scored as a user would meet it: the documents
written as text files (title line, blank line, text), indexed by ``searchkit index``'s own path
(segmenting, duplicate folding), each query's words searched with default matching, the shown
copy of each story ranked. SQLite FTS5 (porter), stock Whoosh (StemmingAnalyzer, BM25F), and when
installed tantivy (en_stem) and bm25s (Lucene BM25, English stemmer and stop words) index the same
titles and texts in the same run, the query's words OR-ed (searchkit/peers.py, the engines bench/
times too). A query searchkit refuses (too long) scores 0 and is counted in the report.
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
    failed: dict[str, int] = field(default_factory=dict)  # why queries got no run -> how many

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "ndcg@10": round(self.ndcg10, 4),
            "mrr@10": round(self.mrr10, 4),
            "recall@100": round(self.recall100, 4),
            "queries": self.queries,
            "failed": dict(self.failed),
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
        documents[_smart_id(number)] = (fields.get("T", ""), fields.get("W", ""))
    query_files = sorted(
        p for p in path.iterdir() if p.name.endswith(".qry") or p.name.lower() == "query.text"
    )
    qrel_files = sorted(p for p in path.iterdir() if "qrel" in p.name.lower())
    if not query_files or not qrel_files:
        raise EvalError(
            f"{path}: a SMART collection needs queries (*.qry or query.text) and judgments (*qrel*)"
        )
    blocks = _smart_blocks(query_files[0].read_text(encoding="utf-8", errors="replace"))
    qrels = _smart_qrels(qrel_files[0])
    queries = _align_queries(blocks, qrels, query_files[0].name, qrel_files[0].name)
    _check_documents(qrels, documents, qrel_files[0].name)
    return Collection(path.name, documents, queries, qrels)


def _smart_id(number: str) -> str:
    """``001`` and ``1`` are one id (Cranfield's queries and CACM's judgments pad with zeros)."""
    return str(int(number)) if number.isdigit() else number


def _smart_qrels(path: Path) -> Qrels:
    """Cranfield's ``query doc code`` (code 1 best … 4, -1 no grade) or CACM's ``query doc 0 0``
    (every listed pair relevant)."""
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.split()]
    binary = bool(rows) and all(len(cols) == 4 and cols[2:] == ["0", "0"] for cols in rows)
    qrels: Qrels = {}
    for n, cols in enumerate(rows, 1):
        if len(cols) < 3 or not cols[2].lstrip("-").isdigit():
            raise EvalError(f"{path}:{n}: expected 'query doc code' or 'query doc 0 0'")
        qid, doc = _smart_id(cols[0]), _smart_id(cols[1])
        if binary:
            qrels.setdefault(qid, {})[doc] = 1
            continue
        code = int(cols[2])
        if code < 1:
            continue  # -1: not a relevance grade
        qrels.setdefault(qid, {})[doc] = max(1, 5 - code)  # code 1 (complete) .. 4 -> gain 4 .. 1
    return qrels


def _align_queries(
    blocks: list[tuple[str, dict[str, str]]], qrels: Qrels, query_file: str, qrel_file: str
) -> dict[str, str]:
    """The queries under the ids the judgments use: their ``.I`` numbers, or their positions.

    Cranfield's judgments number its queries 1..n in file order while the ``.I`` numbers have
    gaps (1, 2, 4, …); CACM's use the ``.I`` numbers. Whichever numbering names every judged
    query is the one; when neither does, the two files do not belong together (a file holding
    queries 151–225 alone is numbered 1–75 by position), and scoring them would print 0 for every
    system, so it is refused instead.
    """
    by_number = {_smart_id(number): fields.get("W", "") for number, fields in blocks}
    by_position = {str(n): fields.get("W", "") for n, (_, fields) in enumerate(blocks, 1)}
    judged = set(qrels)
    for queries in (by_number, by_position):
        if judged <= queries.keys():
            return queries
    missing = sorted(judged - by_position.keys(), key=_id_order)
    raise EvalError(
        f"{qrel_file} judges queries {_id_range(sorted(judged, key=_id_order))} but {query_file} "
        f"holds {len(blocks)} queries numbered {_id_range(sorted(by_number, key=_id_order))} "
        f"(positions 1–{len(blocks)}); {len(missing)} judged queries have no text: "
        "give the queries and judgments of the same set"
    )


def _check_documents(qrels: Qrels, documents: Mapping[str, object], qrel_file: str) -> None:
    judged = {doc for grades in qrels.values() for doc in grades}
    if judged and not judged & documents.keys():
        raise EvalError(
            f"no document {qrel_file} judges is in the collection (judged ids "
            f"{_id_range(sorted(judged, key=_id_order))}): give the documents of the same set"
        )


def _id_order(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)


def _id_range(ids: list[str]) -> str:
    return f"{ids[0]}–{ids[-1]}" if len(ids) > 1 else (ids[0] if ids else "none")


def query_words(text: str) -> str:
    """A natural-language query as plain words (no query-language operators), for every system."""
    return " ".join(m.group(0) for m in TOKEN_PATTERN.finditer(text.replace("_", " ")))


# --- systems ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class SearchkitRun:
    """searchkit's run over a collection indexed as a user's files, and the queries it could not
    answer (the one-line reason -> how many), which score 0 rather than stopping the run."""

    run: Run
    failed: dict[str, int] = field(default_factory=dict)


def write_collection_files(collection: Collection, folder: Path) -> None:
    """One text file per document, as a user saves them: the title on the first line, a blank
    line, then the text (a document without a title is its text alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, (title, text) in collection.documents.items():
        content = f"{title}\n\n{text}\n" if title else f"{text}\n"
        (folder / f"{_file_name(doc_id)}.txt").write_text(content, encoding="utf-8")


def _file_name(doc_id: str) -> str:
    return re.sub(r"[^\w.-]", "_", doc_id)


def index_collection(collection: Collection, workdir: Path) -> Path:
    """Index the collection through the path a user's files take: its documents written as text
    files, then ``searchkit index`` (library.update_index: segmentation, duplicate folding and
    all). Returns the index folder.

    Why not hand the documents to the index writer ready-made, as this module once did: that
    skipped what a user's run does (title detection, duplicate folding), and its figures stood
    0.01–0.02 above what the CLI gave on the same collection."""
    from searchkit import library

    files, index_dir = workdir / "files", workdir / "index"
    write_collection_files(collection, files)
    library.update_index([files], index_dir)
    return index_dir


def run_searchkit(
    collection: Collection, index_dir: Path, params=None, depth: int = 100
) -> tuple[SearchkitRun, Callable[[object], SearchkitRun]]:
    """searchkit's run, each query typed as a user types it (its words, default matching);
    and a re-runner for other ranking parameters over the same index (bench/tune_ranking.py)."""
    from searchkit.index.generations import IndexStore
    from searchkit.query.parse import QueryError
    from searchkit.query.searcher import Searcher

    store = IndexStore(index_collection(collection, index_dir))
    by_file = {_file_name(doc_id): doc_id for doc_id in collection.documents}

    def run_with(ranking_params) -> SearchkitRun:
        result = SearchkitRun({})
        with Searcher(store, ranking_params) as searcher:
            for qid, text in collection.queries.items():
                words = query_words(text)
                if not words:
                    continue
                try:
                    hits = searcher.search(words, limit=depth, facets=False).hits
                except QueryError as exc:
                    reason = re.sub(r"\(\d+ characters; ", "(", str(exc))
                    result.failed[reason] = result.failed.get(reason, 0) + 1
                    continue
                result.run[qid] = [by_file.get(Path(hit.source).stem, hit.source) for hit in hits]
        return result

    return run_with(params), run_with


def _docs(collection: Collection) -> list:
    from searchkit.peers import Doc

    return [Doc(doc_id, title, text) for doc_id, (title, text) in collection.documents.items()]


def run_peer(engine, collection: Collection, depth: int = 100) -> Run:
    """One peer engine (searchkit.peers) over the collection, each query's words OR-ed."""
    engine.build(_docs(collection))
    run: Run = {}
    for qid, text in collection.queries.items():
        words = query_words(text)
        if words:
            run[qid] = engine.query(words, depth, any_word=True)
    engine.close()
    return run


def evaluate_collection(
    folder: str | Path, *, peers: bool = True, params=None
) -> tuple[Collection, list[SystemScore]]:
    """Every system over one collection, in one run (peers not installed are left out)."""
    from searchkit import peers as engines

    collection = load_collection(folder)
    scores = []
    with tempfile.TemporaryDirectory(prefix="searchkit-eval-") as tmp:
        ours, _ = run_searchkit(collection, Path(tmp) / "searchkit", params)
        score = score_run("searchkit", ours.run, collection.qrels)
        score.failed = ours.failed
        scores.append(score)
        if peers:
            for engine in engines.evaluation_peers(Path(tmp)):
                scores.append(
                    score_run(engine.system, run_peer(engine, collection), collection.qrels)
                )
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
    for s in scores:
        for reason, count in s.failed.items():
            lines.append(
                f"{s.system}: {count} {'query' if count == 1 else 'queries'} scored 0: {reason}"
            )
    return "\n".join(lines)
