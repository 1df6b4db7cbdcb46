"""Choose the near-duplicate threshold by measurement.

Positives: each distinct seed article paired with perturbed copies of itself (edits, truncation,
foreign tails, reflowed lines; see tests/perturb.py). Negatives: every pair of distinct seed
articles, and every perturbed copy paired with the other articles (except the one whose text
it borrowed as a tail). For each threshold, prints
precision and recall of "containment >= threshold" over those pairs, and recall per perturbation.

    python -m bench.dedup_threshold
"""

from __future__ import annotations

import itertools

from bench.common import ROOT
from searchkit.dedup import containment, fingerprint
from searchkit.ingest.text_dump import split_text
from tests.perturb import perturbations

THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]


def main() -> None:
    articles = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        articles.extend(split_text(path.read_text(encoding="utf-8"), path.name))
    distinct = {a.body: a for a in articles}
    bodies = list(distinct)
    fps = [fingerprint(b) for b in bodies]

    positives: list[tuple[str, float]] = []
    negatives: list[float] = []
    for i, body in enumerate(bodies):
        other = bodies[(i + 1) % len(bodies)]
        for name, copy in perturbations(body, other, seed=i).items():
            fp = fingerprint(copy)
            positives.append((name, containment(fps[i], fp)))
            # not against the article that lent the foreign tail: a long tail can hold all of it
            donor = (i + 1) % len(bodies)
            negatives.extend(
                containment(fps[j], fp) for j in range(len(bodies)) if j not in (i, donor)
            )
    negatives.extend(containment(a, b) for a, b in itertools.combinations(fps, 2))

    print(
        f"{len(bodies)} distinct seed articles; {len(positives)} positive pairs, {len(negatives)} negative pairs"
    )
    print(f"highest containment between different articles: {max(negatives):.3f}")
    print(f"lowest containment of a perturbed copy:          {min(s for _, s in positives):.3f}")
    print()
    kinds = sorted(
        {name for name, _ in positives}, key=lambda n: [name for name, _ in positives].index(n)
    )
    header = f"{'threshold':>9} {'precision':>9} {'recall':>7}  " + "  ".join(
        f"{k[:14]:>14}" for k in kinds
    )
    print(header)
    for t in THRESHOLDS:
        tp = sum(1 for _, s in positives if s >= t)
        fp_ = sum(1 for s in negatives if s >= t)
        precision = tp / (tp + fp_) if tp + fp_ else 1.0
        recall = tp / len(positives)
        per_kind = []
        for k in kinds:
            scores = [s for name, s in positives if name == k]
            per_kind.append(sum(1 for s in scores if s >= t) / len(scores))
        print(
            f"{t:>9.2f} {precision:>9.3f} {recall:>7.3f}  "
            + "  ".join(f"{r:>14.2f}" for r in per_kind)
        )


if __name__ == "__main__":
    main()
