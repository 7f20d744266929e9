"""What the property tests that run ``wres run`` on synthetic extracts share: the extracts a case
draws, and the settings that draw one case per run (each costs whole runs of ``wres``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.attacker.inputs import synthetic

#: One drawn case besides the fixed ``@example`` ones, the same on every run: each case runs
#: ``wres run`` more than once, so is slow, and shares the test's temporary folders.
ONE_DRAWN_CASE = settings(
    max_examples=1,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


#: The shipped policy profiles.
PROFILES = ("wres-default", "nhs-digital", "ons-10-5", "staff-survey")


@dataclass(frozen=True)
class SyntheticRun:
    """A run on synthetic extracts (``trusts`` trusts over ``span`` years from ``first``,
    seeded) under a ``standard`` and a policy profile."""

    trusts: int
    first: int
    span: int
    seed: int
    standard: str
    policy: str

    def write(self, folder: Path) -> Path:
        """The extracts written into ``folder`` (returned)."""
        years = range(self.first, self.first + self.span)
        return synthetic(folder, trusts=self.trusts, years=years, seed=self.seed)


def run_strategies(first: tuple[int, int]) -> dict[str, st.SearchStrategy[Any]]:
    """The fields of :class:`SyntheticRun` for ``st.builds``: one or two trusts over one or two
    years, the first of them in ``first`` (both ends included), any standard and profile."""
    return {
        "trusts": st.integers(1, 2),
        "first": st.integers(*first),
        "span": st.integers(1, 2),
        "seed": st.integers(1, 1000),
        "standard": st.sampled_from(("wres", "wdes")),
        "policy": st.sampled_from(PROFILES),
    }
