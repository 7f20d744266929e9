"""Numba kernels of the pattern search. Plain loops over numpy arrays; no I/O, nothing of ours.

Shapes and conventions (checked by ``wres.engine.protection.patterns``, not here):

- cells are numbered 0..n-1; ``coords[i, d]`` is the node of dimension ``d`` of cell ``i``;
  ``cell_at[code]`` maps a full-cross code (``sum(coords * strides)``) to a cell, -1 if absent;
- a 1-D pattern ``p`` is ``pat_nodes[pat_ptr[p]:pat_ptr[p + 1]]`` with signs ``pat_signs``;
  the patterns through global node ``g`` (``node_offset[d] + node``) are
  ``node_pats[node_ptr[g]:node_ptr[g + 1]]``, each with ``node_flip`` (+1 or -1) so that the
  node itself has sign +1;
- ``lines`` bundles those arrays for the kernels, in this order: ``strides``, ``node_offset``,
  ``node_ptr``, ``node_pats``, ``node_flip``, ``pat_ptr``, ``pat_nodes``, ``pat_signs``,
  ``cell_at``, ``sorted_codes``, ``order`` (``wres.engine.protection.patterns._kernel_lines``);
- ``INF`` stands for "no limit".
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.int64(1) << np.int64(60)


@njit(cache=True)
def _cell(code: np.int64, cell_at: np.ndarray, sorted_codes: np.ndarray, order: np.ndarray) -> int:
    if cell_at.shape[0] > 0:
        return int(cell_at[code])
    lo, hi = 0, sorted_codes.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_codes[mid] < code:
            lo = mid + 1
        else:
            hi = mid
    if lo < sorted_codes.shape[0] and sorted_codes[lo] == code:
        return int(order[lo])
    return -1


@njit(cache=True)
def _support(  # noqa: PLR0917 - numba kernels take positional arrays only
    cell: int,
    choice: np.ndarray,
    depth: int,
    coords: np.ndarray,
    lines: tuple[np.ndarray, ...],
    out_cells: np.ndarray,
    out_signs: np.ndarray,
) -> int:
    """Write the support of the product pattern around ``cell``; return its size.

    Dimensions ``0..depth`` take the line pattern ``choice[d]`` of the cell's node; later ones
    stay at the cell's own node (a part of every completion). Absent cells are written as -1
    (they constrain nothing and cost nothing).
    """
    strides, node_offset, node_ptr, node_pats, node_flip = lines[:5]
    pat_ptr, pat_nodes, pat_signs, cell_at, sorted_codes, order = lines[5:]
    k = coords.shape[1]
    start = np.empty(k, np.int64)
    length = np.empty(k, np.int64)
    flip = np.ones(k, np.int64)
    base = np.int64(0)
    total = 1
    for d in range(k):
        if d <= depth:
            j = node_ptr[node_offset[d] + coords[cell, d]] + choice[d]
            pid = node_pats[j]
            flip[d] = node_flip[j]
            start[d] = pat_ptr[pid]
            length[d] = pat_ptr[pid + 1] - pat_ptr[pid]
            total *= length[d]
        else:
            length[d] = 0
            base += strides[d] * coords[cell, d]
    entry = np.zeros(k, np.int64)
    for s in range(total):
        code = base
        sign = 1
        for d in range(depth + 1):
            at = start[d] + entry[d]
            code += strides[d] * pat_nodes[at]
            sign *= pat_signs[at] * flip[d]
        out_cells[s] = _cell(code, cell_at, sorted_codes, order)
        out_signs[s] = sign
        d = depth
        while d >= 0:
            entry[d] += 1
            if entry[d] < length[d]:
                break
            entry[d] = 0
            d -= 1
    return total


@njit(cache=True)
def _evaluate(  # noqa: PLR0917 - numba kernels take positional arrays only
    cells: np.ndarray,
    signs: np.ndarray,
    size: int,
    hidden: np.ndarray,
    eligible: np.ndarray,
    cost: np.ndarray,
    toll: np.ndarray,
    value: np.ndarray,
    lower: np.ndarray,
    used: np.ndarray,
    cost_limit: np.int64,
) -> tuple[bool, np.int64, np.int64, np.int64]:
    """Cost of withholding a support (new cells, plus the toll of every cell on it), and how
    far it moves up and down (each cell's room less what a fan has ``used`` of it).

    Invalid when a published cell on it may not be withheld, or the cost passes the limit. A
    cell the tables do not have is in no relation: it neither costs nor limits anything."""
    c = np.int64(0)
    u = INF
    dn = INF
    for s in range(size):
        q = cells[s]
        if q < 0:
            continue
        if not hidden[q]:
            if not eligible[q]:
                return False, c, u, dn
            c += cost[q]
        c += toll[q]
        if c > cost_limit:
            return False, c, u, dn
        slack = value[q] - lower[q] - used[q]
        if signs[s] > 0:  # a cell moved by k per step (a balanced relation) has 1/k the room
            dn = min(dn, slack // signs[s])
        else:
            u = min(u, slack // -signs[s])
    return True, c, u, dn


@njit(cache=True)
def _apply(  # noqa: PLR0917 - numba kernels take positional arrays only
    cells: np.ndarray,
    signs: np.ndarray,
    size: int,
    hidden: np.ndarray,
    is_primary: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    move_up: np.int64,
    move_down: np.int64,
) -> None:
    """Withhold a support; credit each primary cell on it with the pattern's moves."""
    for s in range(size):
        q = cells[s]
        if q < 0:
            continue
        hidden[q] = True
        if is_primary[q]:
            cell_up, cell_down = (move_up, move_down) if signs[s] > 0 else (move_down, move_up)
            up[q] = max(up[q], cell_up)
            down[q] = max(down[q], cell_down)


@njit(cache=True)
def _cheapest(  # noqa: PLR0917 - numba kernels take positional arrays only
    p: int,
    target: np.int64,
    fan: bool,
    up_p: np.int64,
    down_p: np.int64,
    cost_limit: np.int64,
    choice: np.ndarray,
    best: np.ndarray,
    counts: np.ndarray,
    coords: np.ndarray,
    lines: tuple[np.ndarray, ...],
    value: np.ndarray,
    lower: np.ndarray,
    cost: np.ndarray,
    toll: np.ndarray,
    eligible: np.ndarray,
    hidden: np.ndarray,
    used: np.ndarray,
    cells: np.ndarray,
    signs: np.ndarray,
) -> tuple[np.int64, np.int64, np.int64]:
    """The cheapest product pattern around ``p`` (its choice in ``best``) costing at most
    ``cost_limit``, and its cost, upward and downward range; cost ``INF`` when there is none.

    It must bring ``max(up_p, up) + max(down_p, down)`` to ``target``, or, for a ``fan``, its
    upward range alone to ``target``. Depth-first over the dimensions: the partial product
    (later dimensions at the cell's own node) is part of every completion, so its cost bounds
    theirs from below and its range bounds theirs from above. Among equal costs, the widest."""
    # long: one numba kernel, one pass over its arrays (calls between parts cost more)
    k = coords.shape[1]
    node_offset, node_ptr = lines[1], lines[2]
    for d in range(k):
        g = node_offset[d] + coords[p, d]
        counts[d] = node_ptr[g + 1] - node_ptr[g]
        choice[d] = 0
    best_cost, best_gain = cost_limit, np.int64(-1)
    best_up, best_down = np.int64(0), np.int64(0)
    depth = 0
    while depth >= 0:
        if choice[depth] >= counts[depth]:  # this level is done: back up one
            depth -= 1
            if depth >= 0:
                choice[depth] += 1
            continue
        size = _support(p, choice, depth, coords, lines, cells, signs)
        valid, c, u, dn = _evaluate(
            cells, signs, size, hidden, eligible, cost, toll, value, lower, used, best_cost,
        )  # fmt: skip
        gain = u if fan else min(max(up_p, u) + max(down_p, dn), INF)
        if not valid or gain < target or (c == best_cost and gain <= best_gain):
            choice[depth] += 1  # no completion can do better: prune
        elif depth < k - 1:
            depth += 1
            choice[depth] = 0
        else:
            best_cost, best_gain, best_up, best_down = c, gain, u, dn
            best[:] = choice
            choice[depth] += 1
    if best_gain < 0:
        return INF, np.int64(0), np.int64(0)
    return best_cost, best_up, best_down


# nogil: the search runs for seconds, and a progress display's clock must keep running meanwhile
@njit(cache=True, nogil=True)
def search(  # noqa: PLR0912, PLR0915, PLR0917 - numba kernels take positional arrays only
    primaries: np.ndarray,
    need: np.ndarray,
    coords: np.ndarray,
    lines: tuple[np.ndarray, ...],
    value: np.ndarray,
    lower: np.ndarray,
    cost: np.ndarray,
    toll: np.ndarray,
    eligible: np.ndarray,
    is_primary: np.ndarray,
    hidden: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    max_support: int,
    fan_above: np.int64,
    max_fan: int,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """Protect each primary cell in turn with the cheapest product pattern, or a fan.

    ``hidden``, ``up`` and ``down`` are updated in place: a chosen pattern's cells are hidden,
    and every primary cell on it is credited with how far it can move up and down (the
    attacker's interval then holds ``[value - down, value + up]``). A cell is protected when
    ``up + down >= need``.

    A *fan* is up to ``max_fan`` patterns through the cell, each moving it up by what its own
    cells allow (their room shared out), which together reach the need: tried when no single
    pattern does, or when the cheapest costs at least ``fan_above``, and taken when cheaper.

    Returns per primary: the chosen pattern (index into each node's list, per dimension; -1
    when none), its upward and downward range, and a status (0 already protected, 1 pattern
    chosen, 2 none found, 3 a fan); then per fan member: its primary's index, choice, and
    upward (its share) and downward range.
    """
    # long: one numba kernel, one pass over its arrays (calls between parts cost more)
    n = primaries.shape[0]
    k = coords.shape[1]
    chosen = np.full((n, k), -1, np.int64)
    out_up = np.zeros(n, np.int64)
    out_down = np.zeros(n, np.int64)
    status = np.zeros(n, np.int64)
    capacity = 2 * n + max_fan  # fan members at most
    fan_owner = np.full(capacity, -1, np.int64)
    fan_choice = np.full((capacity, k), -1, np.int64)
    fan_up = np.zeros(capacity, np.int64)
    fan_down = np.zeros(capacity, np.int64)
    n_fan = 0
    cells = np.empty(max_support, np.int64)
    signs = np.empty(max_support, np.int64)
    best_cells = np.empty(max_support, np.int64)  # the cheapest single pattern's support
    best_signs = np.empty(max_support, np.int64)
    counts = np.empty(k, np.int64)
    choice = np.zeros(k, np.int64)
    best = np.zeros(k, np.int64)
    used = np.zeros(value.shape[0], np.int64)
    no_room = np.zeros(value.shape[0], np.int64)
    touched = np.empty(max_support * max(max_fan, 1), np.int64)
    newly = np.empty(max_support * max(max_fan, 1), np.int64)
    member = np.zeros((max(max_fan, 1), k), np.int64)
    member_up = np.zeros(max(max_fan, 1), np.int64)
    member_down = np.zeros(max(max_fan, 1), np.int64)
    for i in range(n):
        p = primaries[i]
        if up[p] + down[p] >= need[i]:
            continue
        best_cost, best_up, best_down = _cheapest(
            p, need[i], False, up[p], down[p], INF, choice, best, counts, coords, lines,
            value, lower, cost, toll, eligible, hidden, no_room, cells, signs,
        )  # fmt: skip
        best_size = 0
        if best_cost < INF:
            best_size = _support(p, best, k - 1, coords, lines, best_cells, best_signs)
        if max_fan > 0 and best_cost >= fan_above and n_fan + max_fan <= capacity:
            # a fan, cheaper than the single pattern's cells (its tolls not counted): each
            # member takes what room is left
            budget = best_cost
            for s in range(best_size):
                if best_cells[s] >= 0:
                    budget -= toll[best_cells[s]]
            # the fan's own rise: it is one witness, so it does not add to an earlier
            # pattern's (their down-moves could overlap); its members' falls are witnesses
            # each, so the fall is the largest
            rise, fall, spent = np.int64(0), down[p], np.int64(0)
            m, n_new, n_touched = 0, 0, 0
            while m < max_fan and max(up[p], rise) + fall < need[i]:
                limit = INF if best_cost >= INF else budget - spent - 1
                c, u, dn = _cheapest(
                    p, np.int64(1), True, up[p], down[p], limit, choice, member[m], counts,
                    coords, lines, value, lower, cost, toll, eligible, hidden, used, cells, signs,
                )  # fmt: skip
                if c >= INF:
                    break
                amount = min(u, max(np.int64(1), need[i] - rise - max(fall, dn)))
                size = _support(p, member[m], k - 1, coords, lines, cells, signs)
                for s in range(size):
                    q = cells[s]
                    if q < 0:
                        continue
                    if not hidden[q]:
                        hidden[q] = True
                        newly[n_new] = q
                        n_new += 1
                    if signs[s] < 0:
                        used[q] += amount * -signs[s]
                        touched[n_touched] = q
                        n_touched += 1
                member_up[m], member_down[m] = amount, dn
                spent += c
                rise += amount
                fall = max(fall, dn)
                m += 1
            for t in range(n_touched):
                used[touched[t]] = 0
            for t in range(n_new):  # the members are applied below, or not at all
                hidden[newly[t]] = False
            if max(up[p], rise) + fall >= need[i]:
                for j in range(m):
                    fan_owner[n_fan] = i
                    fan_choice[n_fan, :] = member[j]
                    fan_up[n_fan], fan_down[n_fan] = member_up[j], member_down[j]
                    n_fan += 1
                    size = _support(p, member[j], k - 1, coords, lines, cells, signs)
                    _apply(
                        cells, signs, size, hidden, is_primary, up, down, member_up[j],
                        member_down[j],
                    )  # fmt: skip
                up[p] = max(up[p], rise)
                down[p] = max(down[p], fall)
                status[i] = 3
                continue
        if best_cost >= INF:
            status[i] = 2
            continue
        status[i] = 1
        chosen[i, :] = best
        out_up[i] = best_up
        out_down[i] = best_down
        _apply(best_cells, best_signs, best_size, hidden, is_primary, up, down, best_up, best_down)
    return (
        chosen,
        out_up,
        out_down,
        status,
        fan_owner[:n_fan],
        fan_choice[:n_fan],
        fan_up[:n_fan],
        fan_down[:n_fan],
    )


@njit(cache=True)
def prune(  # noqa: PLR0917, PLR0912 - numba kernel: positional arrays, one pass
    support_ptr: np.ndarray,
    support_cells: np.ndarray,
    support_signs: np.ndarray,
    pattern_up: np.ndarray,
    pattern_down: np.ndarray,
    attempt_order: np.ndarray,
    is_primary: np.ndarray,
    need_of_cell: np.ndarray,
    n_cells: int,
) -> np.ndarray:
    """Drop chosen patterns that other kept patterns make unnecessary; return which are kept.

    A pattern is dropped when every primary cell on it keeps ``up + down >= need`` from the
    patterns still kept. A cell stays hidden while a kept pattern holds it, so every kept
    pattern stays fully hidden and its ranges stay valid.
    """
    # long: one numba kernel, one pass over its arrays (calls between parts cost more)
    n_pat = support_ptr.shape[0] - 1
    kept = np.ones(n_pat, np.bool_)
    # patterns through each primary cell: CSR over cells
    through_count = np.zeros(n_cells + 1, np.int64)
    for p in range(n_pat):
        for s in range(support_ptr[p], support_ptr[p + 1]):
            q = support_cells[s]
            if q >= 0 and is_primary[q]:
                through_count[q + 1] += 1
    through_ptr = np.cumsum(through_count)
    fill = through_ptr[:-1].copy()
    through_pat = np.empty(through_ptr[-1], np.int64)
    through_up = np.empty(through_ptr[-1], np.int64)
    through_down = np.empty(through_ptr[-1], np.int64)
    for p in range(n_pat):
        for s in range(support_ptr[p], support_ptr[p + 1]):
            q = support_cells[s]
            if q >= 0 and is_primary[q]:
                at = fill[q]
                through_pat[at] = p
                if support_signs[s] > 0:
                    through_up[at] = pattern_up[p]
                    through_down[at] = pattern_down[p]
                else:
                    through_up[at] = pattern_down[p]
                    through_down[at] = pattern_up[p]
                fill[q] += 1
    for p in attempt_order:
        removable = True
        for s in range(support_ptr[p], support_ptr[p + 1]):
            q = support_cells[s]
            if q < 0 or not is_primary[q]:
                continue
            u = np.int64(0)
            dn = np.int64(0)
            for t in range(through_ptr[q], through_ptr[q + 1]):
                other = through_pat[t]
                if other != p and kept[other]:
                    u = max(u, through_up[t])
                    dn = max(dn, through_down[t])
            if min(u + dn, INF) < need_of_cell[q]:
                removable = False
                break
        if removable:
            kept[p] = False
    return kept
