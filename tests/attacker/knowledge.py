"""What every reader of a WRES or WDES publication knows, written from ``docs/disclosure.md``
("What a reader knows") and ``docs/inputs.md``, not from wres's code.

Each count a row of ``publish/indicators.csv`` shows is a *quantity* (what is counted) of a
*group* (or of everyone) in a year (or a window of years) and a cell of the cut columns. The
relations between quantities hold by the definitions of the measures: the people a quantity counts
are split into disjoint classes, and each published count is a sum of such classes.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The sum of every group (nobody publishes a ratio's count over everyone, but a share's
#: denominator and a board's membership are such sums).
EVERYONE = "(everyone)"
#: Whose count a column holds: the row's group, its reference group, or everyone.
GROUP, REFERENCE, ALL_GROUPS = "group", "reference", "everyone"

Columns = Mapping[str, tuple[str, str]]


def _pair(event: str, at_risk: str) -> dict[str, tuple[str, str]]:
    return {
        "numerator": (event, GROUP),
        "denominator": (at_risk, GROUP),
        "reference_numerator": (event, REFERENCE),
        "reference_denominator": (at_risk, REFERENCE),
    }


def _share() -> dict[str, tuple[str, str]]:
    return {"numerator": ("headcount", GROUP), "denominator": ("headcount", ALL_GROUPS)}


def _board(membership: str) -> dict[str, tuple[str, str]]:
    return {
        "numerator": (f"board {membership}", GROUP),
        "denominator": (f"board {membership}", ALL_GROUPS),
        "reference_numerator": ("headcount", GROUP),
        "reference_denominator": ("headcount", ALL_GROUPS),
    }


def _question(name: str) -> dict[str, tuple[str, str]]:
    return _pair(f"{name} yes", f"{name} answered")


#: WRES: indicator -> the quantity of each count column (``docs/outputs.md``).
WRES: Mapping[int, Columns] = {
    1: _share(),
    2: _pair("appointed", "shortlisted"),
    3: _pair("disciplinary", "headcount"),
    4: _pair("training", "headcount"),
    5: _question("q5"),
    6: _question("q6"),
    7: _question("q7"),
    8: _question("q8"),
}
#: WDES: metric id -> the quantity of each count column.
WDES: Mapping[int, Columns] = {
    1: _share(),
    2: _pair("appointed", "shortlisted"),
    3: _pair("capability", "headcount"),
    4: _question("q5"),
    41: _question("q6"),
    42: _question("reported"),
    5: _question("q7"),
    6: _question("pressure"),
    7: _question("valued"),
    8: _question("adjustments"),
    9: _question("engagement 7+"),
}
BOARD_INDICATOR = {"wres": 9, "wdes": 10}
#: Indicator 2 without international recruits: the applications not flagged international.
EXCLUDING = "excluding international"
EXCLUDING_COLUMNS: Columns = _pair("appointed, not international", "shortlisted, not international")
#: The rolling variant (indicator 3): each count is the sum of the window's single years.
ROLLING = "2-year rolling"


def quantities(standard: str, indicator: int, variant: str, board: str | None) -> Columns:
    """The quantity (and whose) of each count column of a row."""
    if indicator == BOARD_INDICATOR[standard]:
        assert board is not None
        return _board(board)
    if indicator == 2 and variant == EXCLUDING:
        return EXCLUDING_COLUMNS
    table = WRES if standard == "wres" else WDES
    return table[indicator]


#: Relations between quantities in every cell (year, cut cell, group): ``sum(coefficient *
#: quantity) = 0``, every quantity at least 0. A quantity no row shows is a class nobody
#: publishes (the rest of a split), unknown to the reader but at least 0.
def _split(whole: str, *parts: str) -> tuple[tuple[str, int], ...]:
    return ((whole, -1), *((p, 1) for p in parts))


def _answered(name: str) -> tuple[tuple[str, int], ...]:
    return _split(f"{name} answered", f"{name} yes", f"{name} answered no")


_APPLICATIONS = (
    # shortlisted applicants: appointed or not
    _split("shortlisted", "appointed", "shortlisted, not appointed"),
    # each, international recruit or not (indicator 2 is published with and without them)
    _split("appointed", "appointed, not international", "appointed, international"),
    _split(
        "shortlisted, not appointed",
        "shortlisted, not international, not appointed",
        "shortlisted, international, not appointed",
    ),
    _split(
        "shortlisted, not international",
        "appointed, not international",
        "shortlisted, not international, not appointed",
    ),
    # the international recruits shortlisted (the standard figure minus the one without them)
    _split("shortlisted", "shortlisted, not international", "shortlisted, international"),
)
_BOARD = (
    # every member is executive or not, and voting or not
    _split("board members", "board executive", "board non-executive"),
    _split("board members", "board voting", "board non-voting"),
)
RELATIONS: Mapping[str, tuple[tuple[tuple[str, int], ...], ...]] = {
    "wres": (
        _split("headcount", "disciplinary", "headcount, not disciplinary"),
        _split("headcount", "training", "headcount, not training"),
        *_APPLICATIONS,
        *(_answered(q) for q in ("q5", "q6", "q7", "q8")),
        *_BOARD,
    ),
    "wdes": (
        _split("headcount", "capability", "headcount, not capability"),
        _split("shortlisted", "appointed", "shortlisted, not appointed"),
        *(
            _answered(q)
            for q in ("q5", "q6", "reported", "q7", "pressure", "valued", "adjustments")
        ),
        _answered("engagement 7+"),
        # 4b is asked of those who experienced harassment (q5 or q6): at most the two together
        (("q5 yes", 1), ("q6 yes", 1), ("reported answered", -1), ("harassed twice or silent", -1)),
        *_BOARD,
    ),
}
#: The classes of people the splits name that no row shows: a small one, if a reader can pin it
#: down, gives someone away as much as a small published count (the routing slack is not one).
CLASSES = (
    frozenset(
        q
        for relations in RELATIONS.values()
        for relation in relations
        for q, _ in relation
        if q != "harassed twice or silent"
    )
    - {q for table in (WRES, WDES) for columns in table.values() for q, _ in columns.values()}
    - {q for q, _ in EXCLUDING_COLUMNS.values()}
    - {f"board {m}" for m in ("voting", "executive", "non-executive")}
)
#: Quantities of the rolling variant: those of indicator 3.
ROLLING_QUANTITIES = {"wres": ("disciplinary", "headcount"), "wdes": ("capability", "headcount")}

#: The groups, nested: child -> parent (``docs/inputs.md``: the 16 categories in broad groups
#: in White / BME; Unknown beside them). Detailed labels are matched on their code letter.
_BROAD = {
    "White": "ABC",
    "Mixed": "DEFG",
    "Asian": "HJKL",
    "Black": "MNP",
    "Chinese": "R",
    "Other": "S",
}


def parent_of_group(standard: str, label: str) -> str | None:
    """The node directly above a group label (None for everyone)."""
    if label == EVERYONE:
        return None
    if standard == "wdes" or label in ("White", "BME", "Unknown"):
        return EVERYONE
    if label in _BROAD:
        return "BME"
    if label == "White British":
        return "White"
    code = label.split(" ", 1)[0]
    for broad, codes in _BROAD.items():
        if len(code) == 1 and code in codes:
            return broad
    msg = f"group {label!r} is not in the documented classification"
    raise ValueError(msg)


#: The band clusters of a pack with ``--roll-up auto`` (``docs/outputs.md``, "Roll-ups"): each
#: cluster's count is the sum of its bands' (a band outside them is in ``Unknown``).
BAND_CLUSTERS: Mapping[str, tuple[str, ...]] = {
    "Bands 1-4": ("Under Band 1", "Band 1", "Band 2", "Band 3", "Band 4"),
    "Bands 5-7": ("Band 5", "Band 6", "Band 7"),
    "Bands 8a-8b": ("Band 8a", "Band 8b"),
    "Bands 8c-9 and VSM": ("Band 8c", "Band 8d", "Band 9", "VSM"),
    "Consultants": ("Consultant",),
    "Non-consultant career grades": ("Non-consultant career grade",),
    "Trainee grades": ("Trainee grade",),
    "Other medical": ("Other medical",),
}


def cluster_of_band(band: str) -> str:
    """The cluster a published band label is counted in."""
    return next((c for c, bands in BAND_CLUSTERS.items() if band in bands), "Unknown")
