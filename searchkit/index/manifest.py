"""The index's memory of its files and of its articles' fingerprints, kept inside the Whoosh index.

Two ``kind="manifest"`` documents, committed with the articles they describe:
- the file manifest: every file's size, mtime, content hash, encoding and article ids (or the
  reason it gave none), plus the index's article counts — all a no-change re-run reads;
- the dedup table: every article's fingerprint, completeness rank and the cluster facts its
  document carries (as a digest), read only by runs that change articles.

One stored document each rather than one per file: a re-run must read all of them, and one
document reads faster (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from searchkit.dedup import DedupItem, Fingerprint
from searchkit.index.generations import IndexStore
from searchkit.models import DuplicateCluster, FileRecord

FILES_MANIFEST_ID = "manifest:files"
DEDUP_MANIFEST_ID = "manifest:dedup"
MANIFEST_VERSION = 1


@dataclass(slots=True)
class Stored:
    """What the live generation knows: its file manifest, counts, and (read on demand) dedup table."""

    files: dict[str, FileRecord] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # articles, distinct, duplicate_clusters
    store: IndexStore | None = None  # None: nothing stored (a new index, or --rebuild)
    _dedup: tuple[dict[str, DedupItem], dict[str, str]] | None = None

    def dedup(self) -> tuple[dict[str, DedupItem], dict[str, str]]:
        """Every stored article's dedup item, and its cluster-facts digest (article id -> state).

        Only a run that changes articles needs it: a no-change run never reads it.
        """
        if self._dedup is None:
            self._dedup = load_dedup(self.store) if self.store is not None else ({}, {})
        return self._dedup


def files_manifest_document(files: dict[str, FileRecord], counts: dict[str, int]) -> dict[str, Any]:
    table = {
        rel: (r.size, r.mtime, r.digest, r.encoding, r.article_ids, r.skipped)
        for rel, r in files.items()
    }
    return {
        "kind": "manifest",
        "id": FILES_MANIFEST_ID,
        "meta": {"version": MANIFEST_VERSION, "files": table, "counts": counts},
    }


def dedup_manifest_document(items: dict[str, DedupItem], states: dict[str, str]) -> dict[str, Any]:
    import numpy as np

    ids = sorted(items)
    rows = [items[i] for i in ids]
    signatures = (
        np.stack([r.fingerprint.signature for r in rows]).astype("<u4").tobytes() if rows else b""
    )
    return {
        "kind": "manifest",
        "id": DEDUP_MANIFEST_ID,
        "meta": {
            "version": MANIFEST_VERSION,
            "ids": ids,
            "sources": [r.source for r in rows],
            "positions": [r.position for r in rows],
            "ranks": [r.rank for r in rows],
            "hashes": [r.fingerprint.content_hash for r in rows],
            "shingles": [r.fingerprint.shingles for r in rows],
            "titles": [r.title_key for r in rows],
            "signatures": signatures,
            "states": [states[i] for i in ids],
        },
    }


def load_stored(store: IndexStore) -> Stored:
    """The live generation's file manifest (empty when it has none: everything is read again)."""
    ix = store.open()
    with ix.searcher() as searcher:
        files_doc = searcher.document(id=FILES_MANIFEST_ID)
        has_dedup = searcher.document_number(id=DEDUP_MANIFEST_ID) is not None
    if not files_doc or not has_dedup:
        return Stored()  # an index written before manifests existed
    stored = Stored(store=store, counts=dict(files_doc["meta"]["counts"]))
    for rel, (size, mtime, digest, encoding, ids, skipped) in files_doc["meta"]["files"].items():
        stored.files[rel] = FileRecord(rel, size, mtime, digest, encoding, list(ids), skipped)
    return stored


def load_dedup(store: IndexStore) -> tuple[dict[str, DedupItem], dict[str, str]]:
    import numpy as np

    from searchkit.dedup import NUM_PERM

    with store.open().searcher() as searcher:
        meta = searcher.document(id=DEDUP_MANIFEST_ID)["meta"]
    items: dict[str, DedupItem] = {}
    states: dict[str, str] = {}
    sigs = np.frombuffer(meta["signatures"], dtype="<u4").reshape(-1, NUM_PERM)
    titles = meta.get("titles")
    for k, article_id in enumerate(meta["ids"]):
        fp = Fingerprint(meta["hashes"][k], sigs[k].copy(), meta["shingles"][k])
        items[article_id] = DedupItem(
            article_id,
            meta["sources"][k],
            meta["positions"][k],
            tuple(meta["ranks"][k]),
            fp,
            titles[k] if titles else "",  # (a manifest written before titles were kept)
        )
        states[article_id] = meta["states"][k]
    return items, states


def state_key(cluster: DuplicateCluster) -> str:
    """The cluster facts an article's document carries; a change means re-writing the document."""
    refs = ";".join(f"{d.id}:{d.source}:{d.similarity}" for d in cluster.duplicates)
    digest = hashlib.sha1(refs.encode()).hexdigest()[:16]
    return f"{cluster.cluster_id}|{cluster.canonical}|{len(cluster.duplicates)}|{digest}"
