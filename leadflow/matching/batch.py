"""Batch scan: cluster a whole set of records into people.

Blocking by `candidate_keys` (an over-large block is split by extension for an office line, and
skipped otherwise: a key shared by hundreds of records is a company or a switchboard, not a person),
pairwise `compare` inside the blocks, then union-find over the pairs scoring at or above the
threshold, strongest first. A guard stops chaining: two clusters are not merged when any pair of
their members conflicts strongly (different first names, different extensions on one line ...), so
one ambiguous record cannot glue two people together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from leadflow.matching.compare import UPPER_DEFAULT, score_features
from leadflow.matching.keys import keys_from_features
from leadflow.matching.record import Features, Record, compute_features

MAX_BLOCK = 120  # records in one block before it is split or skipped
CONFLICT = 0.02  # a pair scoring below this is "certainly two people"
GUARD_PAIRS = 64  # cross pairs checked before merging two clusters


def candidate_pairs(feats: list[Features], *, max_block: int = MAX_BLOCK) -> tuple[set[int], dict[str, int]]:
    """Pairs (encoded i * n + j, i < j) sharing a key, and counts of blocks kept, split and skipped."""
    n = len(feats)
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, f in enumerate(feats):
        for key in keys_from_features(f):
            blocks[key].append(index)
    stats = {"blocks": 0, "split": 0, "skipped": 0, "skipped_records": 0}
    pairs: set[int] = set()
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        groups = [members]
        if len(members) > max_block:
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
            groups = [group for group in by_extension.values() if 1 < len(group) <= max_block]
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
    total = len(pairs)
    edges: list[tuple[float, int, int]] = []
    scores: dict[int, float] = {}
    step = max(1, total // 200)
    for done, pair in enumerate(pairs, 1):
        i, j = divmod(pair, n)
        score = score_features(feats[i], feats[j])
        if score >= threshold:
            edges.append((score, i, j))
        if score < CONFLICT:
            scores[pair] = score
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)
    if progress is not None and total == 0:
        progress(0, 0)
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
