"""Chinese words: CJK bigrams (searchkit's analyzer) against the jieba segmenter, measured.

    python -m bench.cjk        (needs jieba: pip install -e '.[bench]')

Queries: every word jieba's dictionary finds in the seeds' Chinese text (its search mode, which
also yields the shorter words inside long ones), plus the issue's terms. A query's relevant articles
are those whose text holds it as a string: a reader looking for 信用 wants every article where
those two characters stand together. Each analyzer indexes the 21 seed articles (Chinese runs only
matter here) and answers each query as searchkit would: bigram queries as a phrase of bigrams,
jieba queries as a phrase of jieba's tokens. Reported: macro precision and recall over the queries,
queries with no hit at all, plus what each costs: import and dictionary load time (paid by every
cold `search`, which must tokenize the query) and tokenizing speed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.common import ROOT
from searchkit.analysis import CJK_RUN, CJKBigramTokenizer

ISSUE_TERMS = ["芝麻", "信用", "芝麻信用", "社会信用体系", "信用生活", "微信"]


def articles() -> list[str]:
    from searchkit.ingest.text_dump import split_text

    texts = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for article in split_text(path.read_text(encoding="utf-8"), path.name):
            texts.append(article.title + "\n" + article.body)
    return texts


def bigram_tokens(text: str) -> list[str]:
    return [t.text for t in CJKBigramTokenizer()(text) if CJK_RUN.fullmatch(t.text)]


def jieba_tokens(text: str) -> list[str]:
    import jieba

    return [w for run in CJK_RUN.findall(text) for w in jieba.cut_for_search(run)]


def positions(tokens: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        out.setdefault(t, []).append(i)
    return out


def phrase_in(doc: dict[str, list[int]], phrase: list[str]) -> bool:
    if not phrase or phrase[0] not in doc:
        return False
    return any(
        all(p + k in doc.get(t, ()) for k, t in enumerate(phrase[1:], 1)) for p in doc[phrase[0]]
    )


def lone_char_query(docs: list[dict[str, list[int]]], char: str) -> set[int]:
    """searchkit's rule for a single character: any indexed term holding it."""
    return {i for i, d in enumerate(docs) if any(char in t for t in d)}


def evaluate(name, tokenize, texts, queries) -> dict:
    docs = [positions(tokenize(t)) for t in texts]
    precision, recall, missed = [], [], 0
    for q in queries:
        truth = {i for i, t in enumerate(texts) if q in t}
        if len(q) == 1:
            found = lone_char_query(docs, q)
        else:
            phrase = tokenize(q)
            found = {i for i, d in enumerate(docs) if phrase_in(d, phrase)}
        if not found:
            missed += 1
        recall.append(len(found & truth) / len(truth))
        precision.append(len(found & truth) / len(found) if found else 0.0)
    return {
        "analyzer": name,
        "queries": len(queries),
        "precision": statistics.mean(precision),
        "recall": statistics.mean(recall),
        "no hit": missed,
    }


def import_seconds(statement: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    import jieba

    texts = articles()
    chinese = " ".join(run for t in texts for run in CJK_RUN.findall(t))
    words = {w for run in CJK_RUN.findall(chinese) for w in jieba.cut_for_search(run)}
    queries = sorted({w for w in words if len(w) >= 2} | set(ISSUE_TERMS))
    single = sorted({w for w in words if len(w) == 1})
    print(
        f"{len(texts)} seed articles, {len(CJK_RUN.findall(chinese))} Chinese runs, "
        f"{len(chinese.replace(' ', ''))} characters"
    )
    print(
        f"queries: {len(queries)} words of 2+ characters jieba finds (with the issue's terms), "
        f"{len(single)} single characters\n"
    )
    print(
        f"{'analyzer':<10} {'query set':<16} {'queries':>7} {'precision':>9} {'recall':>7} {'no hit':>6}"
    )
    for label, qs in (("words 2+", queries), ("single chars", single)):
        for name, tok in (("bigram", bigram_tokens), ("jieba", jieba_tokens)):
            r = evaluate(name, tok, texts, qs)
            print(
                f"{name:<10} {label:<16} {r['queries']:>7} {r['precision']:>9.3f} {r['recall']:>7.3f} {r['no hit']:>6}"
            )
    issue = {}
    for name, tok in (("bigram", bigram_tokens), ("jieba", jieba_tokens)):
        issue[name] = evaluate(name, tok, texts, ISSUE_TERMS)
    print("\nthe issue's terms (芝麻 信用 芝麻信用 社会信用体系 信用生活 微信):")
    for name, r in issue.items():
        print(
            f"  {name:<8} precision {r['precision']:.3f}  recall {r['recall']:.3f}  no hit {r['no hit']}"
        )

    sample = chinese * 20
    for name, tok in (("bigram", bigram_tokens), ("jieba", jieba_tokens)):
        tok(sample[:100])  # warm: jieba loads its dictionary on first use
        started = time.perf_counter()
        n = len(tok(sample))
        took = time.perf_counter() - started
        print(
            f"\n{name}: {len(sample) / took / 1e6:.2f} M characters/s tokenizing ({n} tokens)",
            end="",
        )
    bigram_cold = import_seconds(
        "from searchkit.analysis import CJKBigramTokenizer as T; list(T()('芝麻信用'))"
    )
    jieba_cold = import_seconds(
        "import jieba; jieba.setLogLevel(60); list(jieba.cut_for_search('芝麻信用'))"
    )
    print("\n\nfirst query in a fresh process (import + first tokenize), median of 5:")
    print(
        f"  bigram {bigram_cold:.3f} s   jieba {jieba_cold:.3f} s   (python -c 'pass' {import_seconds('pass'):.3f} s)"
    )


if __name__ == "__main__":
    main()
