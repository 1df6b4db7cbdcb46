"""Which folders and files an index covers across runs, and which of them a run scans.

The index remembers its roots (``searchkit.json``: each root's absolute path and its label). A run
with PATHs adds them and scans only them; a run without re-scans every remembered root (or the
default ones for a new index); ``rebuild`` starts over with the PATHs (or the remembered roots).
A PATH inside a remembered root re-scans that root; a PATH around remembered roots replaces them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from searchkit.ingest.discover import FileFilters, Root, make_root


@dataclass(slots=True)
class RootPlan:
    roots: list[Root]  # every root the index covers after this run
    scan: list[Root]  # the ones walked this run
    dropped_labels: list[str]  # roots replaced by a folder that contains them

    @property
    def scan_paths(self) -> list[str]:
        return [r.path for r in self.scan]


class NotARoot(ValueError):
    """``forget`` was given a path that is not one of the index's folders."""


def forget_roots(old_meta: dict[str, Any], paths: list[str]) -> RootPlan:
    """The index's roots less ``paths`` (each must be one of them): nothing is scanned, and the
    files under a forgotten root leave the index (``dropped_labels``)."""
    remembered = remembered_roots(old_meta)
    dropped: list[str] = []
    for path in paths:
        root = next((r for r in remembered if r.path == os.path.abspath(path)), None)
        if root is None:
            known = ", ".join(r.path for r in remembered) or "none"
            raise NotARoot(f"{path} is not a folder of this index (its folders: {known})")
        remembered.remove(root)
        dropped.append(root.label)
    return RootPlan(remembered, [], dropped)


def remembered_roots(old_meta: dict[str, Any]) -> list[Root]:
    """The roots an index's meta names (labelled as they were, or as they would be)."""
    remembered = [Root(r["path"], r["label"]) for r in old_meta.get("root_labels") or []]
    if not remembered:  # an index from before roots had labels
        taken: list[str] = []
        for path in old_meta.get("roots") or []:
            root = make_root(path, taken)
            taken.append(root.label)
            remembered.append(root)
    return remembered


def plan_roots(
    given: list[str], old_meta: dict[str, Any], *, rebuild: bool, default: list[str]
) -> RootPlan:
    remembered = remembered_roots(old_meta)
    if rebuild:
        paths = given or [r.path for r in remembered] or [os.path.abspath(p) for p in default]
        roots: list[Root] = []
        for path in _dedupe_nested(paths):
            roots.append(make_root(path, [r.label for r in roots]))
        return RootPlan(roots, list(roots), [])
    if not given:
        if remembered:
            return RootPlan(remembered, list(remembered), [])
        given = [os.path.abspath(p) for p in default]
    roots = list(remembered)
    scan: list[Root] = []
    dropped: list[str] = []
    for path in _dedupe_nested(given):
        owner = next((r for r in roots if _contains(r.path, path)), None)
        if owner is not None:  # inside a root we have: re-scan that root
            if owner not in scan:
                scan.append(owner)
            continue
        inner = [r for r in roots if _contains(path, r.path)]
        for r in inner:  # a new folder around roots we have replaces them
            roots.remove(r)
            dropped.append(r.label)
        root = make_root(path, [r.label for r in roots])
        roots.append(root)
        scan.append(root)
    return RootPlan(roots, scan, dropped)


def _dedupe_nested(paths: list[str]) -> list[str]:
    unique = list(dict.fromkeys(os.path.abspath(p) for p in paths))
    return [p for p in unique if not any(q != p and _contains(q, p) for q in unique)]


def _contains(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def filters_from(options: dict[str, Any]) -> FileFilters:
    return FileFilters(
        include=tuple(options.get("include") or ()),
        exclude=tuple(options.get("exclude") or ()),
        max_bytes=options.get("max_bytes"),
    )
