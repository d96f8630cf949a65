"""The neighbour tie graph, stored as sorted edge arrays.

A tie is an undirected edge between two units' households with a strength in
(threshold, 1], the step it was formed, the step of last contact and a
reciprocity ledger (hours each side gave the other, and when).  Edges are kept
sorted by ``key = u << 32 | v`` (``u < v``), so looking up many pairs at once
is one ``np.searchsorted``.  Every operation is vectorised: no per-step cost
grows with the square of the number of households.
"""

from __future__ import annotations

import numpy as np

from abm.dynamics import close_gap

NEVER = -(10**6)
_FIELDS = ("u", "v", "strength", "born", "last_contact", "given_uv", "given_vu", "last_help_uv", "last_help_vu")


def pair_key(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sort key of the undirected pairs (a, b)."""
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    return (lo << 32) | hi


def stable_argsort(x: np.ndarray, n_values: int) -> np.ndarray:
    """Stable argsort of non-negative integers below ``n_values``: radix passes on 16-bit digits (linear time)."""
    if n_values <= 1 << 16:
        return np.argsort(x.astype(np.uint16), kind="stable")
    order = np.argsort((x & 0xFFFF).astype(np.uint16), kind="stable")
    high = (x[order] >> 16).astype(np.uint16 if n_values <= 1 << 32 else np.int64)
    return order[np.argsort(high, kind="stable")]


def _merged(old_values: np.ndarray, new_values: np.ndarray, at: np.ndarray, old_mask: np.ndarray) -> np.ndarray:
    out = np.empty(len(old_mask), dtype=old_values.dtype)
    out[old_mask] = old_values
    out[at] = new_values
    return out


class TieGraph:
    """Undirected weighted ties between household slots (units)."""

    def __init__(self, n_slots: int):
        self.n_slots = n_slots
        self.key = np.zeros(0, dtype=np.int64)
        self.u = np.zeros(0, dtype=np.int64)
        self.v = np.zeros(0, dtype=np.int64)
        self.strength = np.zeros(0)
        self.born = np.zeros(0, dtype=np.int64)
        self.last_contact = np.zeros(0, dtype=np.int64)
        self.given_uv = np.zeros(0)
        self.given_vu = np.zeros(0)
        self.last_help_uv = np.zeros(0, dtype=np.int64)
        self.last_help_vu = np.zeros(0, dtype=np.int64)
        self.version = 0
        self._adjacency = None
        self._adjacency_version = -1
        self._degree = None
        self._degree_version = -1

    def __len__(self) -> int:
        return len(self.key)

    # --- queries -------------------------------------------------------------------------
    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge index of each pair (a, b), or -1 where there is no tie."""
        k = pair_key(np.asarray(a), np.asarray(b))
        pos = np.searchsorted(self.key, k)
        pos_c = np.minimum(pos, max(len(self.key) - 1, 0))
        found = (pos < len(self.key)) & (self.key[pos_c] == k) if len(self.key) else np.zeros(len(k), bool)
        return np.where(found, pos_c, -1)

    def strength_of(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Strength of the tie of each pair (a, b); 0 where there is none."""
        edge = self.find(a, b)
        out = np.zeros(len(edge))
        has = edge >= 0
        out[has] = self.strength[edge[has]]
        return out

    def degree(self, strong_threshold: float | None = None) -> np.ndarray:
        """Ties per slot (only those at or above ``strong_threshold`` if given).

        The count of all ties is cached (read-only) until the graph changes.
        """
        if strong_threshold is not None:
            strong = self.strength >= strong_threshold
            return (np.bincount(self.u[strong], minlength=self.n_slots)
                    + np.bincount(self.v[strong], minlength=self.n_slots))
        if self._degree_version != self.version:
            self._degree = np.bincount(self.u, minlength=self.n_slots) + np.bincount(self.v, minlength=self.n_slots)
            self._degree.setflags(write=False)
            self._degree_version = self.version
        return self._degree

    def adjacency(self):
        """CSR view ``(indptr, neighbour, edge)`` of both directions of every tie, cached until the graph changes.

        Within a slot, neighbours through edges where it is ``u`` come first, then those where it is ``v``,
        each in edge order.  Edges are sorted by ``(u, v)``, so only the ``v`` side needs sorting.
        """
        if self._adjacency_version != self.version:
            n, m = self.n_slots, len(self.key)
            count_u = np.bincount(self.u, minlength=n)
            count_v = np.bincount(self.v, minlength=n)
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(count_u + count_v, out=indptr[1:])
            edge = np.arange(m, dtype=np.int64)
            nbr = np.empty(2 * m, dtype=np.int64)
            eid = np.empty(2 * m, dtype=np.int64)
            # u side: already grouped by u in edge order
            start_u = np.cumsum(count_u) - count_u
            pos = indptr[self.u] + (edge - start_u[self.u])
            nbr[pos], eid[pos] = self.v, edge
            # v side: a stable sort by v, after the slot's u-side entries
            order = stable_argsort(self.v, n)
            v_sorted = self.v[order]
            start_v = np.cumsum(count_v) - count_v
            pos = indptr[v_sorted] + count_u[v_sorted] + (edge - start_v[v_sorted])
            nbr[pos], eid[pos] = self.u[order], order
            self._adjacency = (indptr, nbr, eid)
            self._adjacency_version = self.version
        return self._adjacency

    def components(self) -> np.ndarray:
        """Connected-component label of every slot (the smallest slot of its component).

        Vectorised union-find: every tie whose ends carry different labels hooks the larger label (a root)
        onto the smaller, then paths are compressed until every label is a root.  Each round merges every
        fragment with at least one neighbouring fragment, so there are O(log n) rounds of O(ties) work.
        """
        label = np.arange(self.n_slots)
        u, v = self.u, self.v
        while True:
            lu, lv = label[u], label[v]
            differ = lu != lv
            if not differ.any():
                return label
            u, v, lu, lv = u[differ], v[differ], lu[differ], lv[differ]  # joined ties stay joined
            np.minimum.at(label, np.maximum(lu, lv), np.minimum(lu, lv))
            while True:
                jumped = label[label]
                if np.array_equal(jumped, label):
                    break
                label = jumped

    def neighbours(self, slot: int) -> np.ndarray:
        indptr, nbr, _ = self.adjacency()
        return nbr[indptr[slot]: indptr[slot + 1]]

    # --- changes -------------------------------------------------------------------------
    def add(self, a: np.ndarray, b: np.ndarray, strength: float | np.ndarray, step: int) -> int:
        """Create ties for pairs that have none (duplicates and self-pairs ignored); returns the number created."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        strength = np.broadcast_to(np.asarray(strength, dtype=np.float64), a.shape)
        ok = a != b
        k = pair_key(a[ok], b[ok])
        k, first = np.unique(k, return_index=True)
        s = strength[ok][first]
        if len(self.key):
            pos = np.searchsorted(self.key, k)
            pos_c = np.minimum(pos, len(self.key) - 1)
            new = ~((pos < len(self.key)) & (self.key[pos_c] == k))
            k, s, pos = k[new], s[new], pos[new]
        else:
            pos = np.zeros(len(k), dtype=np.int64)
        if len(k) == 0:
            return 0
        n = len(k)
        values = {
            "u": k >> 32, "v": k & 0xFFFFFFFF, "strength": s, "born": np.full(n, step, dtype=np.int64),
            "last_contact": np.full(n, step, dtype=np.int64), "given_uv": np.zeros(n), "given_vu": np.zeros(n),
            "last_help_uv": np.full(n, NEVER, dtype=np.int64), "last_help_vu": np.full(n, NEVER, dtype=np.int64),
        }
        # one sorted merge: new edge j lands at pos[j] + j, the old edges fill the rest in order
        at = pos + np.arange(n)
        old = np.ones(len(self.key) + n, dtype=bool)
        old[at] = False
        self.key = _merged(self.key, k, at, old)
        for name in _FIELDS:
            setattr(self, name, _merged(getattr(self, name), values[name], at, old))
        self.version += 1
        return n

    def keep(self, mask: np.ndarray) -> int:
        """Keep only the edges where ``mask`` is True (order preserved); returns how many were removed."""
        removed = int(len(mask) - mask.sum())
        if removed:
            self.key = self.key[mask]
            for name in _FIELDS:
                setattr(self, name, getattr(self, name)[mask])
            self.version += 1
        return removed

    def strengthen(self, edges: np.ndarray, gain: float, step: int) -> None:
        """Contact on ``edges`` (repeats count): each contact closes ``gain`` of the gap to 1."""
        if len(edges) == 0:
            return
        self.last_contact[close_gap(self.strength, edges, gain)] = step

    def weaken(self, edges: np.ndarray, amount: float) -> None:
        """Lower the strength of ``edges`` by ``amount`` (floored at 0); prune later removes them."""
        if len(edges):
            np.subtract.at(self.strength, edges, amount)
            np.maximum(self.strength, 0.0, out=self.strength)

    def decay(self, edges: np.ndarray, rate: float) -> None:
        """``edges`` (indices or a mask) lose the share ``rate`` of their strength."""
        self.strength[edges] *= 1.0 - rate

    def prune(self, threshold: float) -> int:
        """Dissolve ties whose strength fell below ``threshold``."""
        return self.keep(self.strength >= threshold)

    def remove_slots(self, slots: np.ndarray) -> int:
        """Remove every tie that involves one of ``slots`` (households that left)."""
        if len(slots) == 0 or len(self.key) == 0:
            return 0
        gone = np.zeros(self.n_slots, dtype=bool)
        gone[slots] = True
        return self.keep(~(gone[self.u] | gone[self.v]))

    def record_help(self, edges: np.ndarray, helper: np.ndarray, hours: np.ndarray, step: int) -> None:
        """Write help acts into the reciprocity ledger of their ties."""
        from_u = self.u[edges] == helper
        np.add.at(self.given_uv, edges[from_u], hours[from_u])
        np.add.at(self.given_vu, edges[~from_u], hours[~from_u])
        self.last_help_uv[edges[from_u]] = step
        self.last_help_vu[edges[~from_u]] = step

    def balance(self, edges: np.ndarray, helper: np.ndarray) -> np.ndarray:
        """Hours the helper received from the other side minus hours it gave (positive: it owes a favour)."""
        from_u = self.u[edges] == helper
        gave = np.where(from_u, self.given_uv[edges], self.given_vu[edges])
        got = np.where(from_u, self.given_vu[edges], self.given_uv[edges])
        return got - gave

    def redate(self, weeks: int) -> None:
        """Every date of every tie moves ``weeks`` later (``NEVER`` stays): the spin-up's renumbering."""
        self.born += weeks
        self.last_contact += weeks
        for x in (self.last_help_uv, self.last_help_vu):
            x[x != NEVER] += weeks

    def grow(self, n_slots: int) -> None:
        """Allow more slots (new units were built: the store calls this when it grows)."""
        self.n_slots = n_slots
        self.version += 1

    def to_networkx(self, nodes=None):
        """The tie graph as a networkx Graph (strength as edge weight); for analysis and the app, not the step."""
        import networkx as nx

        g = nx.Graph()
        if nodes is not None:
            g.add_nodes_from(int(n) for n in nodes)
        g.add_weighted_edges_from(zip(self.u.tolist(), self.v.tolist(), self.strength.tolist()), weight="strength")
        return g
