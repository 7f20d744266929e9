"""The attack on one pack, judged with the true counts (which only the tests have).

The true counts come from the same run with nothing withheld. They check the reader's knowledge
(the true table must satisfy every relation the reader assumes: otherwise the knowledge is wrong)
and give the search a first whole-number solution; what the reader can infer is still solved
from the published pack alone. Judged, as the guarantee says: every withheld count of at least
1 (zeros are published under the shipped policies) that the reader cannot place above the
withheld range keeps at least ``need`` possible values; and so does every class of people no
row shows whose true count is in the withheld range (``knowledge.CLASSES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from tests.attacker.solve import Inference, completed, infer
from tests.attacker.system import NOT_CUTS, Key, PackSystem, Policy, _counts, build, read_indicators


@dataclass(frozen=True, eq=False)
class Verdict:
    system: PackSystem
    inference: Inference
    truth: npt.NDArray[np.float64]
    #: the counts judged: withheld counts and small classes
    judged: npt.NDArray[np.int64]
    #: judged counts below the requirement: (key, true value, low, high)
    failures: list[tuple[Key, int, float, float]]
    table: pl.DataFrame

    def exact(self) -> list[tuple[Key, int, float, float]]:
        return [f for f in self.failures if f[2] == f[3]]


def true_counts(pack: Path, standard: str) -> dict[Key, int]:
    table = read_indicators(pack)
    cuts = tuple(c for c in table.columns if c not in NOT_CUTS)
    rows = _counts(table, standard, cuts).filter(pl.col("value").is_not_null())
    return {
        (r[0], r[1], tuple(r[2 : 2 + len(cuts)]), r[2 + len(cuts)]): int(r[-1])
        for r in rows.select("quantity", "window", *cuts, "group", "value").rows()
    }


def attack(
    pack: Path,
    truth_pack: Path,
    standard: str,
    policy: Policy,
    *,
    measures: bool = True,
    exhaustive: bool = False,
) -> Verdict:
    system, table = build(pack, standard, policy, measures=measures)
    truth = true_counts(truth_pack, standard)
    known = np.array([truth.get(k, np.nan) for k in system.keys], dtype=np.float64)
    x0 = completed(system, known)
    public = np.array(
        ["board" in policy.public and str(k[0]).startswith("board ") for k in system.keys],
        dtype=np.bool_,
    )
    withheld = system.withheld & (x0 >= 1)
    small_class = system.classes & (x0 >= 1) & (x0 <= policy.at_most) & ~public
    judged = np.flatnonzero(withheld | small_class)
    # a count at least need - 1 above the range keeps enough values whenever the reader cannot
    # place it above the range (the interval then runs from the range up to the truth)
    near = x0[judged] <= policy.at_most + policy.need - 2
    inference = infer(system, policy, judged[near] if not exhaustive else judged, start=x0,
                      exhaustive=exhaustive)  # fmt: skip
    failures = []
    for i in judged:
        low, high = inference.low[i], inference.high[i]
        if low <= policy.at_most and high - low + 1 < policy.need:
            failures.append((system.keys[i], int(x0[i]), float(low), float(high)))
    return Verdict(system, inference, x0, judged, failures, table)
