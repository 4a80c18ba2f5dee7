"""Longest paths through a skeleton: 8-neighbour pixel graph, spanning forest, tree diameters.

Skeleton pixels are nodes, 8-neighbours are joined by edges of their Euclidean length (1 or
sqrt 2). A minimum spanning forest breaks the cycles (the small triangles that 4- and 8-adjacency
form at corners, and real loops such as the skeleton of a ring); in a tree the longest path is the
diameter, found exactly by two sweeps (the farthest node from any node, then the farthest node
from that one). A seeded jitter of the edge lengths, far below one pixel, makes all path lengths
distinct: it decides which edge of a loop is cut and which of equally long paths is taken, so ties
break by the seed and the answer does not depend on how the forest is computed.

Skeletons of a few hundred pixels (the usual case at the reduced skeleton resolution) are solved
with plain Python adjacency lists, larger ones with scipy's compiled graph routines, whose fixed
cost per call (~0.1 ms) dominates on small graphs. Both give the same paths.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree

__all__ = ["longest_paths", "JITTER", "SMALL_GRAPH"]

JITTER = 1e-4  # largest random addition to an edge length; sums stay below a pixel on real paths
SMALL_GRAPH = 300  # up to this many skeleton pixels, pure Python beats scipy's per-call cost

# Half of the 8 neighbours: each undirected edge is listed once.
_FORWARD = ((0, 1, 1.0), (1, -1, np.sqrt(2.0)), (1, 0, 1.0), (1, 1, np.sqrt(2.0)))


def _pixel_graph(
    skeleton: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node coordinates ``(ys, xs)`` and the jittered 8-neighbour edges ``(a, b, length)``."""
    ys, xs = np.nonzero(skeleton)
    n = ys.size
    index = np.full((skeleton.shape[0] + 2, skeleton.shape[1] + 2), -1, np.int64)
    index[ys + 1, xs + 1] = np.arange(n)
    rows, cols, weights = [], [], []
    for dy, dx, length in _FORWARD:
        other = index[ys + 1 + dy, xs + 1 + dx]
        keep = other >= 0
        rows.append(np.nonzero(keep)[0])
        cols.append(other[keep])
        weights.append(np.full(int(keep.sum()), length))
    a = np.concatenate(rows)
    b = np.concatenate(cols)
    weight = np.concatenate(weights) + rng.random(a.size) * JITTER
    return ys, xs, a, b, weight


def _forest_python(
    n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray
) -> tuple[list[list[tuple[int, float]]], list[int]]:
    """Kruskal's minimum spanning forest as adjacency lists, and each node's component root."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    adjacency: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    order = np.argsort(weight, kind="stable")
    for i, j, w in zip(a[order].tolist(), b[order].tolist(), weight[order].tolist(), strict=True):
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[ri] = rj
            adjacency[i].append((j, w))
            adjacency[j].append((i, w))
    return adjacency, [root(i) for i in range(n)]


def _sweep(
    adjacency: list[list[tuple[int, float]]], start: int
) -> tuple[int, dict[int, int], float]:
    """Farthest node from ``start`` in a tree, the parent links towards ``start``, its distance."""
    dist = {start: 0.0}
    parent = {start: -1}
    stack = [start]
    while stack:
        node = stack.pop()
        d = dist[node]
        for other, w in adjacency[node]:
            if other not in dist:
                dist[other] = d + w
                parent[other] = node
                stack.append(other)
    far = max(dist, key=dist.__getitem__)
    return far, parent, dist[far]


def _diameters_python(
    n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray, min_size: int
) -> list[tuple[float, list[int]]]:
    adjacency, roots = _forest_python(n, a, b, weight)
    members: dict[int, list[int]] = {}
    for i, r in enumerate(roots):
        members.setdefault(r, []).append(i)
    groups = list(members.values())
    kept = [g for g in groups if len(g) >= min_size] or [max(groups, key=len)]
    out = []
    for group in kept:
        end_a, _, _ = _sweep(adjacency, group[0])
        end_b, parent, length = _sweep(adjacency, end_a)
        path = [end_b]
        while parent[path[-1]] >= 0:
            path.append(parent[path[-1]])
        out.append((length, path[::-1]))
    return out


def _diameters_scipy(
    n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray, min_size: int
) -> list[tuple[float, list[int]]]:
    forest = minimum_spanning_tree(coo_matrix((weight, (a, b)), shape=(n, n)).tocsr())
    n_comp, labels = connected_components(forest, directed=False)
    sizes = np.bincount(labels, minlength=n_comp)
    kept = np.nonzero(sizes >= min_size)[0]
    if kept.size == 0:
        kept = np.array([int(np.argmax(sizes))])
    first_node = np.full(n_comp, n, np.int64)
    np.minimum.at(first_node, labels, np.arange(n))
    dist = dijkstra(forest, directed=False, indices=first_node[kept])
    ends_a = np.argmax(np.where(np.isfinite(dist), dist, -1.0), axis=1)
    dist, pred = dijkstra(forest, directed=False, indices=ends_a, return_predecessors=True)
    dist = np.where(np.isfinite(dist), dist, -1.0)
    ends_b = np.argmax(dist, axis=1)
    out = []
    for k, end in enumerate(ends_b.tolist()):
        path = [end]
        while pred[k, path[-1]] >= 0:
            path.append(int(pred[k, path[-1]]))
        out.append((float(dist[k, end]), path[::-1]))
    return out


def longest_paths(
    skeleton: np.ndarray,
    *,
    min_size: int,
    rng: np.random.Generator,
    small_graph: int = SMALL_GRAPH,
) -> list[np.ndarray]:
    """The longest path of every skeleton component with at least ``min_size`` pixels.

    Components smaller than ``min_size`` are skeleton debris and dropped, unless every component
    is that small: then the largest one is kept, so a tiny mask still gets a path.

    Args:
        skeleton: binary ``(H, W)`` skeleton.
        min_size: smallest component kept, in pixels.
        rng: source of the tie-breaking jitter.
        small_graph: graphs up to this many nodes are solved in Python, larger ones with scipy.

    Returns:
        One ``(n, 2)`` int array of ``(y, x)`` pixel coordinates per kept component, each an
        8-connected walk between the two ends of the component's longest path; longest first.
    """
    if not skeleton.any():
        return []
    ys, xs, a, b, weight = _pixel_graph(skeleton, rng)
    n = ys.size
    solve = _diameters_python if n <= small_graph else _diameters_scipy
    found = solve(n, a, b, weight, min_size)
    found.sort(key=lambda item: -item[0])
    return [np.stack([ys[path], xs[path]], axis=1) for _, path in found]
