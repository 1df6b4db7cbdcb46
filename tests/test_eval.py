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


def write_cacm_style(folder: Path) -> Path:
    """CACM's layout: ``query.text`` with ``.A``/``.N`` beside ``.W``, binary ``qrels.text``
    (``query doc 0 0``) numbered by ``.I`` with zero padding."""
    folder.mkdir(parents=True)
    (folder / "cacm.all").write_text(
        ".I 1\n.T\nTime sharing systems\n.W\nA time sharing system for IBM computers.\n"
        ".B\nCACM 1966\n.A\nSmith, J.\n.N\nCA660101\n.X\n2\t5\t1\n"
        ".I 2\n.T\nCompilers for intermediate languages\n"
        ".I 3\n.T\nMessage passing between processes\n.W\nRemote procedure calls.\n"
    )
    (folder / "query.text").write_text(
        ".I 1\n.W\n What articles deal with time sharing?\n.N\n 1. Richard (TSS)\n\n"
        ".I 2\n.W\n Remote procedure calls\n.A\nPooch, U.\n.N\n 2. Curtis\n"
    )
    (folder / "qrels.text").write_text("01 1  0 0\n02 3  0 0\n")
    return folder


def test_cacm_style_smart_collections_load_with_binary_judgments_by_query_number(tmp_path):
    collection = evaluate.load_collection(write_cacm_style(tmp_path / "cacm"))
    assert collection.documents["2"] == ("Compilers for intermediate languages", "")
    assert collection.queries == {
        "1": "What articles deal with time sharing?",
        "2": "Remote procedure calls",
    }
    assert collection.qrels == {"1": {"1": 1}, "2": {"3": 1}}


def test_queries_that_do_not_line_up_with_the_judgments_are_refused(tmp_path, runner):
    """Cranfield's queries 151-225 alone: by position they are 1-75, the judgments say 151-225;
    scoring them would print 0.0000 for every system."""
    folder = tmp_path / "late"
    folder.mkdir()
    (folder / "mini.all").write_text(".I 1\n.T\nwings\n.W\nswept wings\n")
    (folder / "late.qry").write_text(".I 302\n.W\nswept wings\n.I 303\n.W\nwings\n")
    (folder / "lateqrel").write_text("151 1 1\n152 1 2\n")
    with pytest.raises(evaluate.EvalError, match=r"judges queries 151–152 but late\.qry holds 2"):
        evaluate.load_collection(folder)
    result = runner.invoke(app, ["eval", str(folder)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "give the queries and judgments of the same set" in result.stderr


def test_judgments_naming_no_document_of_the_collection_are_refused(tmp_path):
    folder = write_cacm_style(tmp_path / "cacm")
    (folder / "qrels.text").write_text("01 1001  0 0\n02 1003  0 0\n")
    with pytest.raises(evaluate.EvalError, match=r"no document qrels\.text judges"):
        evaluate.load_collection(folder)


def test_a_query_over_the_length_limit_is_counted_and_the_rest_still_scored(tmp_path, runner):
    folder = write_beir(tmp_path / "mini")
    queries = folder / "queries.jsonl"
    long_query = "boundary " * 200  # 1,800 characters
    queries.write_text(queries.read_text() + json.dumps({"_id": "q3", "text": long_query}) + "\n")
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td2\t1\nq3\td1\t1\n"
    )
    result = runner.invoke(app, ["eval", str(folder), "--no-peers"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "mini (4 documents): 3 judged queries"
    assert float(lines[2].split()[2]) == pytest.approx(
        2 / 3, abs=1e-4
    )  # MRR: q1 and q2 first, q3 none
    assert lines[-1] == "searchkit: 1 query scored 0: query too long (the limit is 1000)"
    data = json.loads(runner.invoke(app, ["eval", str(folder), "--no-peers", "--json"]).stdout)
    assert data["systems"][0]["failed"] == {"query too long (the limit is 1000)": 1}


def test_a_peer_that_is_not_installed_is_left_out(tmp_path, runner, monkeypatch):
    from searchkit import peers

    monkeypatch.setattr(peers, "installed", lambda module: module != "tantivy")
    data = json.loads(
        runner.invoke(app, ["eval", str(write_beir(tmp_path / "m")), "--json"]).stdout
    )
    assert [s["system"] for s in data["systems"]] == [
        "searchkit",
        "sqlite-fts5-bm25",
        "whoosh-stock-bm25f",
        "bm25s-lucene",
    ]


def test_eval_scores_searchkit_as_the_cli_answers_a_user_over_the_same_files(tmp_path, runner):
    """The same text files, `searchkit index`, `search WORDS --json`: the ranking eval scores."""
    collection = evaluate.load_collection(CRANFIELD)
    collection.documents = dict(list(collection.documents.items())[:300])
    collection.queries = {q: collection.queries[q] for q in ("1", "2", "3", "8", "9")}
    ours, _ = evaluate.run_searchkit(collection, tmp_path / "eval", depth=20)
    files, index = tmp_path / "files", tmp_path / "index"
    evaluate.write_collection_files(collection, files)
    assert runner.invoke(app, ["index", str(files), "--index", str(index)]).exit_code == 0
    for qid, text in collection.queries.items():
        words = evaluate.query_words(text)
        out = runner.invoke(app, ["search", words, "--json", "-n", "20", "--index", str(index)])
        assert out.exit_code == 0, out.output
        shown = [Path(hit["source"]).stem for hit in json.loads(out.stdout)["hits"]]
        assert shown == ours.run[qid], qid
        assert shown  # each of these queries finds something


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
    assert list(systems) == [
        "searchkit",
        "sqlite-fts5-bm25",
        "whoosh-stock-bm25f",
        "tantivy-bm25",
        "bm25s-lucene",
    ]
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


def _ahead_of_every_peer(folder: Path, floor: float) -> dict[str, evaluate.SystemScore]:
    """searchkit, as a user's files and typed queries meet it, ahead of every peer installed (the
    test extra installs them all) over the same documents and words, in the same run."""
    _, scores = evaluate.evaluate_collection(folder)
    by_system = {s.system: s for s in scores}
    ours = by_system["searchkit"]
    assert {"sqlite-fts5-bm25", "whoosh-stock-bm25f"} <= set(by_system)
    assert ours.ndcg10 >= floor
    for peer in by_system.values():
        assert ours.queries == peer.queries
        if peer is not ours:
            assert ours.ndcg10 > peer.ndcg10, (peer.system, peer.ndcg10, ours.ndcg10)
    return by_system


def test_cranfield_ranks_ahead_of_every_peer_and_the_lucene_reference():
    """nDCG@10 ahead of FTS5, stock Whoosh, tantivy and bm25s in the same run, and of 0.352
    (tantivy's Lucene-style BM25 on Cranfield, as published beside the collection)."""
    by_system = _ahead_of_every_peer(CRANFIELD, floor=0.37)  # 0.379 when written
    ours, fts5 = by_system["searchkit"], by_system["sqlite-fts5-bm25"]
    assert ours.queries == 150
    assert fts5.ndcg10 == pytest.approx(0.340, abs=0.002)  # the README's figure: same documents
    assert ours.mrr10 > fts5.mrr10


def test_cacm_ranks_ahead_of_every_peer(cacm_dir):
    """CACM: many bare titles, verbose queries that repeat their subject (docs/benchmarks.md)."""
    by_system = _ahead_of_every_peer(cacm_dir, floor=0.49)  # 0.497 when written; bm25s 0.494
    assert by_system["searchkit"].queries == 52
