"""How long work tells its caller how far it has got, for a progress display.

The work calls a :data:`Progress` with the stage it is in, how much of that stage is done and
the stage's total when known. It never prints: the CLI decides whether and how to show it (a
bar on a terminal, nothing otherwise), so the files a run writes cannot depend on it.
"""

from __future__ import annotations

from collections.abc import Callable

#: Told a stage's name, how much of it is done and its total (None while unknown). Within one
#: stage ``done`` never decreases; a new name starts a new stage.
Progress = Callable[[str, int, int | None], None]

# The stages of secondary suppression and its audit, as a display names them.
#: the pattern search (one compiled loop: no count until it ends)
SEARCHING = "secondary suppression: searching patterns"
#: the search again for the cells that relied on an organisation-wide figure published again
SEARCHING_AGAIN = "secondary suppression: searching patterns again"
#: the pattern cleaned up: each secondary cell no cell needs published again (one step)
CLEANING = "secondary suppression: publishing again what no cell needs"
#: the moves method: primary cells given room, of all
MOVING = "secondary suppression: primary cells protected"
#: the witnesses the protection found, checked against every relation and bound
CHECKING = "audit: witnesses checked"
#: withheld cells proved by witnesses from small problems around them, of those to prove
PROVING = "audit: withheld cells proved"
#: exact attacker intervals: components whose withheld cells' least values are settled at once
SETTLING = "audit: components settled"
#: exact attacker intervals: programmes solved, of those to solve (one per cell and bound)
SOLVING = "audit: attacker problems solved"
#: a run's independent parts protected and audited (``wres.rules.run_parts``), of all
PARTS = "secondary suppression and audit: parts protected"
#: cells failing the audit given further withheld cells
REPAIRING = "repair: failing cells"


def silent(stage: str, done: int, total: int | None) -> None:
    """The :data:`Progress` of work nobody watches: tells no one."""
    del stage, done, total


def prefixed(progress: Progress, prefix: str) -> Progress:
    """``progress`` with every stage's name after ``prefix`` (``"round 2, "``)."""

    def tell(stage: str, done: int, total: int | None) -> None:
        progress(f"{prefix}{stage}", done, total)

    return tell
