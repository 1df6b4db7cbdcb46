"""Choose searchkit's ranking settings on two collections at once, each split in two halves.

    python -m bench.tune_ranking [collection ...]   (default: ../shared/ir/cranfield and cacm)
    python -m bench.tune_ranking --effects          (each setting's effect, one at a time)
    python -m bench.tune_ranking --peers            (the final table, with the peers per half)

Each collection is indexed once, as ``searchkit eval`` does it (text files, ``searchkit index``),
and its judged queries are split by position: odd-numbered ones tune, even-numbered ones only
check. Coordinate ascent varies one setting at a time over a few values and keeps a value only
when the mean nDCG@10 of the *tuning* halves of every collection rises, and neither collection's
tuning half falls by more than ``MAX_LOSS`` (a setting that helps one collection and hurts the
other does not generalize). The checking halves are printed beside it and never steer.

What a stemmer does is fixed at index time, so stemmers are compared by ``searchkit eval`` runs
of builds that differ in ``searchkit.analysis.stem`` (docs/benchmarks.md), not here.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from bench.common import SHARED
from searchkit import evaluate
from searchkit.query.rank import RankingParams

COLLECTIONS = (SHARED / "ir" / "cranfield", SHARED / "ir" / "cacm")
MAX_LOSS = 0.003
GRID: dict[str, list] = {
    "k1": [0.6, 0.9, 1.2, 1.5],
    "b": [0.5, 0.6, 0.75, 0.9],
    "boost.title": [0.5, 0.75, 1.0, 1.5, 2.0],
    "boost.exact": [0.0, 0.25, 0.5, 1.0],
    "proximity": [0.0, 0.25, 0.5, 0.75, 1.0],
    "proximity_window": [2, 3, 5],
    "feedback_terms": [0, 10, 20],
}
# Effects reported one at a time against the defaults (``--effects``).
EFFECTS: list[tuple[str, object]] = [
    ("k1", 0.6),
    ("k1", 1.2),
    ("b", 0.5),
    ("b", 0.9),
    ("boost.title", 2.0),
    ("boost.exact", 0.0),
    ("proximity", 0.0),
    ("idf", "classic"),
    ("feedback_terms", 10),
    ("feedback_terms", 20),
]


def with_value(params: RankingParams, name: str, value) -> RankingParams:
    if name.startswith("boost."):
        boosts = dict(params.boosts)
        boosts[name.split(".", 1)[1]] = value
        return dataclasses.replace(params, boosts=boosts)
    return dataclasses.replace(params, **{name: value})


def value_of(params: RankingParams, name: str):
    if name.startswith("boost."):
        return params.boosts[name.split(".", 1)[1]]
    return getattr(params, name)


@dataclasses.dataclass
class Split:
    collection: evaluate.Collection
    rerun: object  # evaluate.run_searchkit's re-runner
    tune: evaluate.Qrels
    check: evaluate.Qrels

    def scores(self, run: evaluate.Run) -> tuple[float, float, float]:
        return (
            evaluate.score_run("tune", run, self.tune).ndcg10,
            evaluate.score_run("check", run, self.check).ndcg10,
            evaluate.score_run("all", run, self.collection.qrels).ndcg10,
        )


def split(collection: evaluate.Collection, workdir: Path) -> Split:
    _, rerun = evaluate.run_searchkit(collection, workdir)
    ids = sorted(collection.qrels, key=evaluate._id_order)
    qrels = collection.qrels
    return Split(
        collection, rerun, {q: qrels[q] for q in ids[0::2]}, {q: qrels[q] for q in ids[1::2]}
    )


def measure(splits: list[Split], params: RankingParams) -> list[tuple[float, float, float]]:
    return [s.scores(s.rerun(params).run) for s in splits]  # type: ignore[attr-defined]


def line(label: str, splits: list[Split], got: list[tuple[float, float, float]]) -> str:
    cells = "  ".join(
        f"{s.collection.name} {t:.4f}/{c:.4f}/{a:.4f}"
        for s, (t, c, a) in zip(splits, got, strict=True)
    )
    return f"{label:<28} {cells}"


def ascend(splits: list[Split], params: RankingParams, rounds: int) -> RankingParams:
    best = measure(splits, params)
    print(line("start", splits, best))
    for round_ in range(1, rounds + 1):
        for name, values in GRID.items():
            for value in values:
                if value == value_of(params, name):
                    continue
                trial = with_value(params, name, value)
                got = measure(splits, trial)
                print(line(f"  {name}={value}", splits, got))
                gain = sum(g[0] for g in got) - sum(b[0] for b in best)
                fair = all(g[0] >= b[0] - MAX_LOSS for g, b in zip(got, best, strict=True))
                if gain > 1e-4 and fair:
                    best, params = got, trial
            print(f"round {round_}: {name} -> {value_of(params, name)}")
    print(line("best", splits, best))
    print(params)
    return params


def peers_table(splits: list[Split]) -> None:
    """searchkit with its defaults and every installed peer, per half, in one run."""
    from searchkit import peers as engines

    print(f"{'collection':<10} {'system':<20} {'tuning':>7} {'checking':>8} {'all':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for s in splits:
            rows = [("searchkit", s.scores(s.rerun(RankingParams()).run))]  # type: ignore[attr-defined]
            for engine in engines.evaluation_peers(Path(tmp)):
                rows.append((engine.system, s.scores(evaluate.run_peer(engine, s.collection))))
            for system, (t, c, a) in rows:
                print(f"{s.collection.name:<10} {system:<20} {t:7.4f} {c:8.4f} {a:7.4f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("collections", nargs="*", default=[str(c) for c in COLLECTIONS])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--effects", action="store_true")
    parser.add_argument("--peers", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        splits = [
            split(evaluate.load_collection(folder), Path(tmp) / str(i))
            for i, folder in enumerate(args.collections)
        ]
        print("nDCG@10 as tuning/checking/all queries")
        if args.peers:
            peers_table(splits)
        elif args.effects:
            defaults = RankingParams()
            print(line("defaults", splits, measure(splits, defaults)))
            for name, value in EFFECTS:
                trial = with_value(defaults, name, value)
                print(line(f"{name}={value}", splits, measure(splits, trial)))
        else:
            ascend(splits, RankingParams(), args.rounds)


if __name__ == "__main__":
    main()
