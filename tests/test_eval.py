"""The evaluation harness: metrics, collection formats, the `eval` command, and the seeds' judged
queries as a regression floor."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from searchkit import evaluate
from searchkit.cli import app

JUDGED = Path(__file__).resolve().parent / "judged" / "seeds.json"
# The seeds' judged set scored 0.97 when it was written (docs/benchmarks.md); the issue's floor.
SEEDS_NDCG_FLOOR = 0.9


def test_metrics_by_hand():
    grades = {"a": 3, "b": 1, "c": 2}
    # ranked: b, x, a -> DCG = 1/log2(2) + 0 + 3/log2(4); ideal: 3, 2, 1
    dcg = 1 + 3 / 2
    idcg = 3 + 2 / math.log2(3) + 1 / 2
    assert evaluate.ndcg(["b", "x", "a"], grades) == pytest.approx(dcg / idcg)
    assert evaluate.ndcg(["a", "c", "b"], grades) == pytest.approx(1.0)
    assert evaluate.ndcg(["x"], grades) == 0.0
    assert evaluate.mrr(["x", "y", "c"], grades) == pytest.approx(1 / 3)
    assert evaluate.mrr(["x"] * 10 + ["a"], grades) == 0.0  # past rank 10
    assert evaluate.recall(["a", "x", "b"], grades) == pytest.approx(2 / 3)


def test_score_run_averages_over_judged_queries_and_counts_missing_runs_as_zero():
    qrels = {"1": {"a": 1}, "2": {"b": 2}, "3": {"c": 0}}  # query 3 has nothing relevant
    score = evaluate.score_run("s", {"1": ["a"]}, qrels)
    assert score.queries == 2
    assert score.ndcg10 == pytest.approx(0.5) and score.mrr10 == pytest.approx(0.5)


def write_beir(folder: Path, *, trec: bool = False) -> Path:
    docs = [
        ("d1", "Boundary layer flow", "the boundary layer on a flat plate in supersonic flow"),
        ("d2", "Heat transfer", "heat transfer to a cylinder in hypersonic flow"),
        ("d3", "Wing flutter", "flutter of swept wings at high speed"),
        ("d4", "Slender bodies", "pressure on slender bodies of revolution"),
    ]
    folder.mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in docs)
    )
    (folder / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "boundary layer on plates?"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "heat transfer (hypersonic)"})
        + "\n"
    )
    if trec:
        (folder / "test.qrels").write_text("q1 0 d1 2\nq2 0 d2 1\nq2 0 d4 1\n")
    else:
        (folder / "qrels").mkdir()
        (folder / "qrels" / "test.tsv").write_text(
            "query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t1\nq2\td4\t1\n"
        )
    return folder


@pytest.mark.parametrize("trec", [False, True])
def test_beir_and_trec_collections_load(tmp_path, trec):
    collection = evaluate.load_collection(write_beir(tmp_path / "c", trec=trec))
    assert len(collection.documents) == 4
    assert collection.documents["d2"] == (
        "Heat transfer",
        "heat transfer to a cylinder in hypersonic flow",
    )
    assert collection.qrels == {"q1": {"d1": 2}, "q2": {"d2": 1, "d4": 1}}


def test_smart_collection_maps_queries_by_position_and_codes_to_gains(tmp_path):
    folder = tmp_path / "smart"
    folder.mkdir()
    (folder / "mini.all.10").write_text(
        ".I 1\n.T\nboundary layers .\n.A\nsmith\n.B\nj. ae. 1958\n.W\nboundary layers on plates .\n"
        ".I 2\n.T\nheat transfer .\n.W\nheat transfer in flow .\n"
    )
    (folder / "mini.qry").write_text(".I 001\n.W\nboundary layers ?\n.I 004\n.W\nheat flow\n")
    (folder / "miniqrel").write_text("1 1 1\n2 2 4\n2 1 -1\n")
    collection = evaluate.load_collection(folder)
    assert collection.documents["1"] == ("boundary layers .", "boundary layers on plates .")
    assert collection.queries == {"1": "boundary layers ?", "2": "heat flow"}
    assert collection.qrels == {"1": {"1": 4}, "2": {"2": 1}}  # -1 is no grade


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "neither corpus.jsonl"),
        (lambda p: p / "missing", "is not a folder"),
    ],
)
def test_unreadable_collections_are_one_line_errors(tmp_path, make, message):
    with pytest.raises(evaluate.EvalError, match=message):
        evaluate.load_collection(make(tmp_path))


def test_eval_command_runs_searchkit_and_its_peers_on_the_same_documents(tmp_path, runner):
    folder = write_beir(tmp_path / "mini")
    result = runner.invoke(app, ["eval", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    systems = {s["system"]: s for s in data["systems"]}
    assert set(systems) == {"searchkit", "sqlite-fts5-bm25", "whoosh-stock-bm25f"}
    for score in systems.values():
        assert score["queries"] == 2
        assert score["mrr@10"] == 1.0  # every system puts a relevant document first here
    text = runner.invoke(app, ["eval", str(folder), "--no-peers"]).stdout
    assert text.splitlines()[0] == "mini (4 documents): 2 judged queries"
    assert text.splitlines()[2].startswith("searchkit ")


def test_eval_command_errors(tmp_path, runner):
    result = runner.invoke(app, ["eval"])
    assert result.exit_code == 2 and "give a collection folder or --judged" in result.stderr
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 1 and "neither corpus.jsonl" in result.stderr


def test_seeds_judged_queries_keep_their_floor(searcher):
    judged = evaluate.load_judged(JUDGED)
    assert len(judged) >= 24
    kinds = {q.kind for q in judged}
    assert {"topic", "known item", "entity", "Chinese", "phrase", "misspelt"} <= kinds
    titles = {h.title for h in searcher.search("china", limit=50).hits}
    for query in judged:  # every judged title is a real seed article
        assert set(query.judgments) <= titles, query.id
    score = evaluate.evaluate_judged(searcher, judged)
    assert score.ndcg10 >= SEEDS_NDCG_FLOOR, {
        q: round(v, 3) for q, v in score.per_query.items() if v < 0.9
    }


def test_eval_command_judged_set(runner, seed_store):
    result = runner.invoke(app, ["eval", "--judged", str(JUDGED), "--index", str(seed_store.path)])
    assert result.exit_code == 0, result.output
    row = result.stdout.splitlines()[2].split()
    assert row[0] == "searchkit" and float(row[1]) >= SEEDS_NDCG_FLOOR


# Cranfield 1400 (public; tests/data/README.md) ships in the repository, so the test command
# passes on a fresh clone with nothing beside it.
CRANFIELD = Path(__file__).resolve().parent / "data" / "cranfield"


def test_cranfield_beats_the_lucene_reference_and_fts5_in_the_same_run():
    """The issue's bar: nDCG@10 >= 0.352 (tantivy's Lucene-style BM25 on Cranfield, as published beside the collection) and
    ahead of SQLite FTS5's bm25 over the same documents and queries."""
    collection, scores = evaluate.evaluate_collection(CRANFIELD)
    assert len(collection.documents) == 1400
    by_system = {s.system: s for s in scores}
    ours, fts5 = by_system["searchkit"], by_system["sqlite-fts5-bm25"]
    assert ours.queries == fts5.queries == 150
    assert fts5.ndcg10 == pytest.approx(0.340, abs=0.002)  # the README's figure: same documents
    assert ours.ndcg10 >= 0.352
    assert ours.ndcg10 > fts5.ndcg10 and ours.mrr10 > fts5.mrr10
