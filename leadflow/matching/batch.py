"""Batch scan: cluster a whole set of records into people.

Blocking by `candidate_keys` (an over-large block is split by extension for an office line, and
skipped otherwise: a key shared by hundreds of records is a company or a switchboard, not a person),
pairwise `compare` inside the blocks, then union-find over the pairs scoring at or above the
threshold, strongest first. A guard stops chaining: two clusters are not merged when any pair of
their members conflicts strongly (different first names, different extensions on one line ...), so
one ambiguous record cannot glue two people together.

From PARALLEL_MIN records on, parsing and scoring run in forked worker processes (one per core; the
features are inherited, not pickled). Fork early: a process that already runs native threads (DuckDB,
for one) may deadlock its forked children.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from leadflow.matching.compare import UPPER_DEFAULT, score_features
from leadflow.matching.keys import PERSON_KINDS, block_usable, keys_from_features
from leadflow.matching.record import Features, Record, compute_features

CONFLICT = 0.02  # a pair scoring below this is "certainly two people"
GUARD_PAIRS = 64  # cross pairs checked before merging two clusters
PARALLEL_MIN = 20_000  # from this many records on, parse and compare on every core (fork)

T = TypeVar("T")
R = TypeVar("R")
_SHARED: dict[str, Any] = {}  # what forked workers read without pickling (set just before the fork)


def workers_for(n: int) -> int:
    """Processes to use for n records: every core for big inputs, none extra for small ones."""
    if n < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    function, items = _SHARED["function"], _SHARED["items"]
    return function(items[bounds[0] : bounds[1]])


def map_chunks(
    function: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """function over consecutive slices of items, in forked processes when workers > 1; results in order."""
    total = len(items)
    if workers <= 1 or total == 0:
        out = function(items)
        if progress is not None:
            progress(total, total)
        return out
    size = max(1000, -(-total // (workers * 16)))
    bounds = [(start, min(start + size, total)) for start in range(0, total, size)]
    _SHARED.update(function=function, items=items)
    results: list[list[R]] = []
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = 0
            for (start, end), chunk in zip(bounds, pool.imap(_run_chunk, bounds), strict=True):
                results.append(chunk)
                done += end - start
                if progress is not None:
                    progress(done, total)
    finally:
        _SHARED.clear()
    return [item for chunk in results for item in chunk]


def candidate_pairs(feats: list[Features]) -> tuple[set[int], dict[str, int]]:
    """Pairs (encoded i * n + j, i < j) sharing a key, and counts of blocks kept, split and skipped."""
    n = len(feats)
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, f in enumerate(feats):
        for key in keys_from_features(f):
            if key[0] in PERSON_KINDS:
                blocks[key].append(index)
    stats = {"blocks": 0, "split": 0, "skipped": 0, "skipped_records": 0}
    pairs: set[int] = set()
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        groups = [members]
        if not block_usable(key[0], len(members)):
            if key[0] != "phone":
                stats["skipped"] += 1
                stats["skipped_records"] += len(members)
                continue
            # An office line: only people on the same extension, or on none, can be one person.
            stats["split"] += 1
            by_extension: dict[str, list[int]] = defaultdict(list)
            for index in members:
                for extension in feats[index].phones.get(key[1], ()):
                    by_extension[extension].append(index)
            groups = [group for group in by_extension.values() if 1 < len(group) and block_usable("phone", len(group))]
        for group in groups:
            stats["blocks"] += 1
            for x, i in enumerate(group):
                base = i * n
                pairs.update(base + j for j in group[x + 1 :])
    return pairs, stats


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {}

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def group(self, root: int) -> list[int]:
        return self.members.get(root) or [root]

    def union(self, a: int, b: int) -> int:
        ga, gb = self.group(a), self.group(b)
        if len(ga) < len(gb):
            a, b, ga, gb = b, a, gb, ga
        self.parent[b] = a
        self.members[a] = ga + gb
        self.members.pop(b, None)
        return a


def cluster(
    records: Iterable[Record],
    *,
    threshold: float = UPPER_DEFAULT,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, str]:
    """Map every record id to its cluster id: the id of the cluster's first record in input order."""
    records = list(records)
    feats = [compute_features(record) for record in records]
    labels = cluster_features(feats, threshold=threshold, progress=progress)
    return {record.id: records[label].id for record, label in zip(records, labels, strict=True)}


def cluster_features(
    feats: list[Features],
    *,
    threshold: float = UPPER_DEFAULT,
    progress: Callable[[int, int], None] | None = None,
) -> list[int]:
    """Cluster label (index of the cluster's first member) for each of the features."""
    n = len(feats)
    pairs, _stats = candidate_pairs(feats)
    ordered = sorted(pairs)
    _SHARED_SCORING.update(feats=feats, n=n, threshold=threshold)
    try:
        scored = map_chunks(_score_pairs, ordered, workers=workers_for(n), progress=progress)
    finally:
        _SHARED_SCORING.clear()
    if progress is not None and not ordered:
        progress(0, 0)
    edges = [(score, pair // n, pair % n) for pair, score in scored if score >= threshold]
    scores = {pair: score for pair, score in scored if score < CONFLICT}
    edges.sort(key=lambda edge: (-edge[0], edge[1], edge[2]))
    uf = _UnionFind(n)
    for _score, i, j in edges:
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj:
            continue
        if _conflicts(uf.group(ri), uf.group(rj), feats, scores, n):
            continue
        uf.union(ri, rj)
    labels = [0] * n
    first_of_root: dict[int, int] = {}
    for index in range(n):
        root = uf.find(index)
        labels[index] = first_of_root.setdefault(root, index)
    return labels


_SHARED_SCORING: dict[str, Any] = {}


def _score_pairs(pairs: Sequence[int]) -> list[tuple[int, float]]:
    """Scores of the pairs that matter later: at or above the threshold, or strong conflicts."""
    feats, n, threshold = _SHARED_SCORING["feats"], _SHARED_SCORING["n"], _SHARED_SCORING["threshold"]
    out = []
    for pair in pairs:
        i, j = divmod(pair, n)
        score = score_features(feats[i], feats[j])
        if score >= threshold or score < CONFLICT:
            out.append((pair, score))
    return out


def _conflicts(ga: list[int], gb: list[int], feats: list[Features], known: dict[int, float], n: int) -> bool:
    """True when some member of one cluster is certainly not the same person as one of the other."""
    if len(ga) == 1 and len(gb) == 1:
        return False
    checked = 0
    for i in ga:
        for j in gb:
            x, y = (i, j) if i < j else (j, i)
            score = known.get(x * n + y)
            if score is None:
                if checked >= GUARD_PAIRS:
                    continue
                checked += 1
                score = score_features(feats[x], feats[y])
            if score < CONFLICT:
                return True
    return False
