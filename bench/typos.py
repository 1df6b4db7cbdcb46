"""Spelling correction measured: misspelt versions of judged queries, corrected or not.

    python -m bench.typos /work/shared/ir/cranfield

Each judged query gets one typo (a deletion, insertion, substitution or swap of neighbouring
letters, seeded) in one of its words of 4+ letters that is not a stop word, chosen so that the
misspelt word is not itself a word of the collection (a non-word error; real-word errors are out of
reach of any dictionary check). Reported per query set and correction policy:

- correction recall: misspelt queries whose corrected form restores the word that was misspelt;
- correction precision: corrections that restored the right word, over all corrections made
  (on clean queries every correction is a wrong one);
- nDCG@10 of the clean queries, of the misspelt ones, and whether correction changed clean ones.

Policies: ``off`` (no correction), ``few`` (correct when a query finds fewer than 3 stories, the
default), ``always`` (correct any query holding a word the index lacks, if that finds more), and
``fuzzy`` (no correction; every word also matches indexed words one edit away, at weight 0.3).
Query sets: the collection's queries (any-word matching, as ``searchkit eval``) and the seeds'
judged queries in English (default matching, as a user types them).
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from pathlib import Path

from searchkit import evaluate
from searchkit.index.generations import IndexStore
from searchkit.query import spelling
from searchkit.query.searcher import Searcher

ROOT = Path(__file__).resolve().parent.parent
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    kind = rng.choice(("delete", "insert", "substitute", "swap"))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "insert":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    if kind == "substitute":
        return word[:i] + rng.choice(LETTERS.replace(word[i], "")) + word[i + 1 :]
    if i == len(word) - 1:
        i -= 1
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def make_typos(queries: dict[str, str], reader, seed: int = 4) -> dict[str, tuple[str, str, str]]:
    """query id -> (misspelt query, original word, misspelt word)."""
    from whoosh.analysis import STOP_WORDS

    rng = random.Random(seed)
    out = {}
    for qid, text in sorted(queries.items()):
        words = text.split()
        slots = [
            i
            for i, w in enumerate(words)
            if re.fullmatch(r"[a-z]{4,}", w.lower()) and w.lower() not in STOP_WORDS
        ]
        if not slots:
            continue
        for _ in range(20):
            i = rng.choice(slots)
            wrong = misspell(words[i].lower(), rng)
            if reader.doc_frequency("exact", wrong) == 0 and wrong != words[i].lower():
                out[qid] = (" ".join([*words[:i], wrong, *words[i + 1 :]]), words[i].lower(), wrong)
                break
    return out


def fuzzy_text(reader, text: str) -> str:
    parts = []
    for word in text.split():
        near = [
            w
            for w in spelling.suggestions(reader, word.lower())
            if spelling.edit_distance(w, word.lower()) == 1
        ]
        if near:
            parts.append("(" + " OR ".join([word] + [f"{w}^0.3" for w in near[:3]]) + ")")
        else:
            parts.append(word)
    return " ".join(parts)


def run(searcher, queries, typos, qrels, key, any_word, policy):
    searcher.correct_always = policy == "always"
    reader = searcher.reader()
    results = {}
    for variant in ("clean", "typo"):
        run_ = {}
        corrections = {}
        for qid, text in queries.items():
            if variant == "typo":
                if qid not in typos:
                    continue
                text = typos[qid][0]
            if policy == "fuzzy":
                text = fuzzy_text(reader, text)
            if policy in ("off", "fuzzy"):
                saved = spelling.correct
                spelling.correct = lambda reader, text: None
            try:
                found = searcher.search(text, limit=10, facets=False, any_word=any_word)
            finally:
                if policy in ("off", "fuzzy"):
                    spelling.correct = saved
            run_[qid] = [key(hit) for hit in found.hits]
            if found.corrected:
                corrections[qid] = found.corrected
        judged = {q: qrels[q] for q in run_ if q in qrels}
        results[variant] = (evaluate.score_run(variant, run_, judged), corrections)
    clean_score, clean_fixes = results["clean"]
    typo_score, typo_fixes = results["typo"]
    right = sum(1 for qid, fixed in typo_fixes.items() if typos[qid][1] in fixed.lower().split())
    made = len(typo_fixes) + len(clean_fixes)
    return {
        "policy": policy,
        "typo queries": len(typos),
        "recall": right / len(typos) if typos else 0.0,
        "precision": right / made if made else float("nan"),
        "clean corrected": len(clean_fixes),
        "nDCG clean": clean_score.ndcg10,
        "nDCG typo": typo_score.ndcg10,
    }


def report(name: str, rows: list[dict]) -> None:
    print(f"\n{name}")
    print(
        f"{'policy':<8} {'typos':>5} {'recall':>7} {'precision':>9} {'clean changed':>13} {'nDCG clean':>10} {'nDCG typo':>9}"
    )
    for r in rows:
        print(
            f"{r['policy']:<8} {r['typo queries']:>5} {r['recall']:>7.3f} {r['precision']:>9.3f} "
            f"{r['clean corrected']:>13} {r['nDCG clean']:>10.4f} {r['nDCG typo']:>9.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("collection")
    args = parser.parse_args()
    policies = ("off", "few", "always", "fuzzy")

    collection = evaluate.load_collection(args.collection)
    queries = {
        q: evaluate.query_words(t) for q, t in collection.queries.items() if q in collection.qrels
    }
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore(evaluate.index_collection(collection, Path(tmp) / "ix"))
        with Searcher(store) as searcher:
            typos = make_typos(queries, searcher.reader())
            rows = [
                run(
                    searcher,
                    queries,
                    typos,
                    collection.qrels,
                    lambda h: Path(h.source).stem,
                    True,
                    p,
                )
                for p in policies
            ]
        report(f"{collection.name}: {len(queries)} queries, any-word matching", rows)

        judged = [
            q
            for q in evaluate.load_judged(ROOT / "tests" / "judged" / "seeds.json")
            if q.kind in ("topic", "known item", "entity", "natural language")
        ]
        seed_store = IndexStore(Path(tmp) / "seeds")
        from searchkit.index.build import build_index

        build_index([ROOT / "seeds"], seed_store)
        with Searcher(seed_store) as searcher:
            queries = {q.id: q.text for q in judged}
            qrels = {q.id: q.judgments for q in judged}
            typos = make_typos(queries, searcher.reader())
            rows = [
                run(searcher, queries, typos, qrels, lambda h: h.title, False, p) for p in policies
            ]
        report(f"seeds: {len(judged)} judged English queries, default matching", rows)


if __name__ == "__main__":
    main()
