"""Stage 4's candidate pairs on a Dask cluster: signatures -> the pairs that share an LSH band key.

In: the MinHash signatures of the articles to cluster (uint64[articles, NUM_PERM], as
``dedup._similar_pairs`` hands them to its pair finder) and a ``distributed.Client``. Out: the same
int64[pairs, 2] array (i < j, sorted, distinct) ``dedup._band_pairs`` returns for them in one
process, so ``dedup.cluster_items`` goes on to the same clusters.

How: the signatures go out in chunks; each worker computes its chunk's band keys with
``dedup.band_keys`` and emits one ((band, key), row) record per band and article; a dask.bag
groupby (a task shuffle, so no process receives every band) brings each key's rows together on one
worker, which codes the pairs within its groups with ``dedup.group_pair_codes`` and removes its
duplicates with ``dedup.unique_pairs``; the client merges the partitions' pairs with
``unique_pairs`` once more. Every step is dedup.py's own function, so the pairs are identical by
construction, not by a second implementation kept in step.

Why not the obvious ``client.map`` of ``_band_pairs`` over chunks of articles: two copies of a
story land in different chunks, and pairs across chunks would be missed. Why records, not NumPy
arrays, through the shuffle: bag's groupby is what partitions by key across workers; a record is
small (three integers), and the signatures, not the records, are the part that does not fit one
machine's memory at scale. The containment of each candidate pair, the union-find and the choice
of each cluster's canonical copy stay on the client (they need every pair, and are cheap next to
finding them). Imported only by ``--cluster`` runs (``searchkit.ingest.cluster``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from searchkit.dedup import band_keys, group_pair_codes, unique_pairs

if TYPE_CHECKING:
    from distributed import Client

# Articles per chunk sent out: 4,096 signatures are 2 MiB as uint32 (114,688 records out).
_CHUNK = 4096


def cluster_band_pairs(client: Client, sigs: np.ndarray, partitions: int) -> np.ndarray:
    """``dedup._band_pairs(sigs)``, with the band keys grouped on ``client``'s workers."""
    import dask.bag as db

    count = len(sigs)
    if count < 2:
        return np.empty((0, 2), dtype=np.int64)
    # uint32 out (the signatures' own width): half the bytes of the uint64 copy handed in.
    chunks = [
        (start, sigs[start : start + _CHUNK].astype(np.uint32))
        for start in range(0, count, _CHUNK)
    ]
    partitions = max(1, partitions)
    records = db.from_sequence(chunks, npartitions=min(len(chunks), partitions)).map_partitions(
        _band_records
    )
    grouped = records.groupby(_record_key, shuffle="tasks", npartitions=partitions)
    codes = grouped.map_partitions(_partition_pairs, count)
    return unique_pairs(list(codes.compute(scheduler=client)), count)


def _band_records(chunks: list[tuple[int, np.ndarray]]) -> list[tuple[int, int, int]]:
    """(band, key, row) for every band of every signature in one partition's chunks."""
    out: list[tuple[int, int, int]] = []
    for start, chunk in chunks:
        keys = band_keys(chunk)
        bands = keys.shape[1]
        rows = np.repeat(np.arange(start, start + len(chunk)), bands).tolist()
        band = np.tile(np.arange(bands), len(chunk)).tolist()
        out.extend(zip(band, keys.ravel().tolist(), rows, strict=True))
    return out


def _record_key(record: tuple[int, int, int]) -> tuple[int, int]:
    return record[0], record[1]


def _partition_pairs(groups: Any, count: int) -> list[np.ndarray]:
    """The pair codes within one partition's groups (each group: one band's key and its rows)."""
    rows: list[int] = []
    labels: list[int] = []
    for label, (_, members) in enumerate(groups):
        if len(members) > 1:  # most keys belong to one article: no pair
            rows.extend(r[2] for r in members)
            labels.extend([label] * len(members))
    if not rows:
        return [np.empty(0, dtype=np.int64)]
    codes = group_pair_codes(np.array(labels), np.array(rows, dtype=np.int64), count)
    pairs = unique_pairs([codes], count)
    return [pairs[:, 0] * count + pairs[:, 1]]
