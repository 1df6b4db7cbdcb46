"""Turn bench results into a markdown table (ratios to the peers) and PNG charts."""

from __future__ import annotations

from pathlib import Path


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}×" if theirs else "–"


def _server(load: dict | None) -> str:
    if not load:
        return "–"
    return (
        f"{load['req_per_s']:.0f} req/s, p50 {load['p50_ms']:.0f} / p99 {load['p99_ms']:.0f} ms, "
        f"{load['errors']} errors"
    )


def markdown(results: dict) -> str:
    lines = []
    seeds = results.get("seeds_cold_cli")
    if seeds:
        lines += [
            f"Cold `search` on seeds/ (a fresh process per query, the index built): median "
            f"{seeds['median_s']:.3f} s over {seeds['runs']} runs (python alone "
            f"{seeds['python_start_s']:.3f} s).",
            "",
        ]
    lines += ["| articles (files) | build | articles/s | peak MiB | no-change re-run | dedup | index size | "
             "warm p50 / p99 | cold `search` | server (16 clients) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for scale in results["scales"]:
        s = scale["searchkit"]
        cold = s["cold_cli"]
        lines.append(
            f"| {scale['articles']:,} ({scale['files']:,}) | {s['build_s']:.1f} s | {s['articles_per_s']:.0f} | "
            f"{s['peak_mib']:.0f} | {s['noop_reindex_s']:.2f} s | {s['dedup_s']:.2f} s | "
            f"{s['index_bytes'] / 2**20:.1f} MiB | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} ms | "
            f"{cold['median_s']:.3f} s (python alone {cold['python_start_s']:.3f} s) | "
            f"{_server(s.get('server'))} |"
        )
    lines += ["", "Peers on the same articles and queries (searchkit's warm p50 divided by the peer's: "
              "below 1 means searchkit is faster):", "",
              "| articles | engine | build (index only) | docs/s | peak MiB | index size | warm p50 / p99 | "
              "searchkit p50 ÷ this |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for scale in results["scales"]:
        ours = scale["searchkit"]
        for name, p in scale.get("peers", {}).items():
            lines.append(
                f"| {scale['articles']:,} | {name} | {p['build_s']:.1f} s | {p['docs_per_s']:.0f} | "
                f"{p['peak_mib']:.0f} | {p['index_bytes'] / 2**20:.1f} MiB | "
                f"{p['p50_ms']:.2f} / {p['p99_ms']:.2f} ms | {_ratio(ours['p50_ms'], p['p50_ms'])} |"
            )
    lines += ["", "Segmentation and dedup at scale (what the generator planted vs what searchkit found):", "",
              "| articles | article copies planted / found | near-duplicate copies planted / clusters found |",
              "| --- | --- | --- |"]  # fmt: skip
    for scale in results["scales"]:
        planted = scale.get("planted")
        if planted:
            lines.append(
                f"| {scale['articles']:,} | {planted['articles']:,} / {scale['indexed_articles']:,} | "
                f"{planted['copies']:,} / {scale['duplicate_clusters']:,} |"
            )
    return "\n".join(lines) + "\n"


def charts(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = [s["articles"] for s in results["scales"]]
    engines = {"searchkit": [s["searchkit"] for s in results["scales"]]}
    for s in results["scales"]:
        for name, p in s.get("peers", {}).items():
            engines.setdefault(name, []).append(p)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, rows in engines.items():
        if len(rows) != len(scales):
            continue
        left.plot(scales, [r["p50_ms"] for r in rows], marker="o", label=name)
        right.plot(scales, [r["build_s"] for r in rows], marker="o", label=name)
    for ax, title, unit in (
        (left, "Warm query latency (p50)", "ms"),
        (right, "Index build time", "s"),
    ):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("articles")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    right.annotate("searchkit: from files (extract, segment, dedup, index);\npeers: index only",
                   xy=(0.02, 0.02), xycoords="axes fraction", fontsize=7)  # fmt: skip
    fig.tight_layout()
    fig.savefig(out / "scale.png", dpi=110)
    plt.close(fig)
