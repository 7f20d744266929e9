"""What each published count counts, as sums of disjoint classes of people: declared once here.

Every count a run publishes is a *measure* (the extract and channel it is counted from:
``staff:rows`` is the headcount, ``applications:2:events`` the appointed shortlisted applicants)
in a cell of years, cuts and groups. Each indicator splits the people it counts (staff,
applications, respondents, board members) into disjoint classes, its *atoms*, and each of its
measures is the sum of some of them:

- a ratio or percentage (indicators 2-8, WDES 2-9): the people at risk are those with the event
  and those without; with a variant that leaves a flag out (indicator 2 without international
  recruits) each of the two is split again by the flag, so that the shortlisted are four classes
  (appointed or not, international or not) and the four published counts sum them;
- a board (indicator 9, WDES 10): its members are voting or not, executive or not;
- a share (indicator 1) counts the headcount itself, which the ratios of the same extract split.

Every relation between a run's measures follows from these declarations (:func:`measure_model`):
the classes are each at least 0, so every face of the cone they span is a fact a reader has (four
published counts of indicator 2 pin the four classes down: the international recruits appointed
are the standard figure minus the one without them; three board counts say the voting members
are at most the executive and the non-executive ones together). Each face, and each figure's
people at risk without the event ("98 of 100" publishes the 2), is a derived count: a small one
gives someone away as a small published count would, so it is protected like one. Rules of a
survey's routing (WDES 4b is asked only of those who experienced harassment, in q5 or q6) are
declared as bounds: the people asked are at most those of the measures named.

Adding a measure means declaring its atoms in :func:`splits`; nothing else lists relations.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from wres.engine.errors import InternalError
from wres.engine.standards import Indicator, Shape, Standard

#: The classes of a board's members: voting or not, executive or not.
_MEMBERSHIP: Mapping[str, frozenset[str]] = {
    "voting": frozenset({"voting executive", "voting non-executive"}),
    "executive": frozenset({"voting executive", "non-voting executive"}),
    "non-executive": frozenset({"voting non-executive", "non-voting non-executive"}),
}

Formula = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Figure:
    """The measures of one published figure of an indicator: its events and people at risk
    (for a share and a board membership, the same measure twice)."""

    variant: str
    board: str | None
    events: str
    at_risk: str


@dataclass(frozen=True, slots=True)
class Split:
    """One indicator's split of the people it counts: each measure and the classes it sums
    (class names are the indicator's own)."""

    indicator: int
    atoms: Mapping[str, frozenset[str]]
    #: (whole, part) pairs whose difference is a count to protect whatever the faces: each
    #: figure's people at risk without the event ("98 of 100" publishes the 2), and the people
    #: a variant leaves out
    complements: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Bound:
    """``whole <= sum(parts)`` by definition (the people a question is asked of)."""

    whole: str
    parts: tuple[str, ...]


def splits(
    indicator: Indicator, figures: Sequence[Figure], *, excluded_flag: str | None = None
) -> list[Split]:
    """The declaration of one indicator: which classes each of its measures sums.

    ``figures``: the indicator's published figures (variants, board memberships) with their
    measure names; ``excluded_flag``: the variant leaving out a flag (``excluding
    international``), when the run publishes it."""
    own = f"{indicator.id}"
    if indicator.kind.shape is Shape.SHARE:
        return []
    if indicator.kind.shape is Shape.BOARD:
        atoms = {
            f.events: frozenset(f"{own}:{a}" for a in _MEMBERSHIP[f.board])
            for f in figures
            if f.board is not None and f.board in _MEMBERSHIP
        }
        return [Split(indicator.id, atoms)] if atoms else []
    standard = next(f for f in figures if f.variant == "standard")
    variant = next((f for f in figures if excluded_flag and f.variant == excluded_flag), None)
    if variant is None:
        event, rest = frozenset({f"{own}:event"}), frozenset({f"{own}:no event"})
        return [
            Split(
                indicator.id,
                {standard.at_risk: event | rest, standard.events: event},
                ((standard.at_risk, standard.events),),
            )
        ]
    kept = frozenset({f"{own}:event, kept", f"{own}:no event, kept"})
    event = frozenset({f"{own}:event, kept", f"{own}:event, left out"})
    everyone = event | {f"{own}:no event, kept", f"{own}:no event, left out"}
    return [
        Split(
            indicator.id,
            {
                standard.at_risk: everyone,
                standard.events: event,
                variant.at_risk: kept,
                variant.events: event & kept,
            },
            (
                (standard.at_risk, standard.events),
                (variant.at_risk, variant.events),
                # the people the variant leaves out: the international recruits shortlisted
                # and appointed
                (standard.at_risk, variant.at_risk),
                (standard.events, variant.events),
            ),
        )
    ]


def bounds(
    standard: Standard, events: Mapping[int, str], at_risk: Mapping[int, str]
) -> list[Bound]:
    """The routing bounds of a standard's indicators (``asked_of``): the people an indicator's
    question is asked of are among the events of the indicators named."""
    out = []
    for ind in standard.indicators:
        parts = tuple(events[i] for i in ind.asked_of if i in events)
        if ind.asked_of and len(parts) == len(ind.asked_of) and ind.id in at_risk:
            out.append(Bound(at_risk[ind.id], parts))
    return out


# --- the relations that follow ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A measure, or a count a reader derives from measures."""

    name: str
    #: a derived count's value from published measures (empty for a measure)
    formula: Formula = ()
    #: a class of people (or a union of classes): a small one is protected like a count
    protected: bool = True
    #: its relation follows from the others (it is neither a face of the classes' cone nor a
    #: split of the tree): a cell only where it is a count to protect
    implied: bool = False

    @property
    def derived(self) -> bool:
        return bool(self.formula)


@dataclass(frozen=True)
class MeasureModel:
    """The measures of a run and the counts derived from them, with every relation between
    them: a tree of splits (each node the sum of its children) and the further relations."""

    nodes: Mapping[str, Node]
    #: each node's parent in the tree of splits (a node with none is under the total)
    parent: Mapping[str, str]
    #: relations beyond the tree: ``sum(coefficient * node) = 0``
    relations: tuple[Formula, ...] = field(default=())

    def derived(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.derived]


def measure_model(
    measures: Iterable[str], declared: Sequence[Split], routing: Sequence[Bound] = ()
) -> MeasureModel:
    """Every relation the declarations imply between the ``measures`` a run publishes."""
    present = set(measures)
    nodes: dict[str, Node] = {m: Node(m) for m in sorted(present)}
    found: list[Formula] = []
    faces: set[str] = set()
    for split in declared:
        atoms = {m: a for m, a in split.atoms.items() if m in present}
        if len(atoms) < 2:
            continue
        classes = _derived_classes(atoms, split.complements)
        faces |= _face_names(atoms, classes)
        everyone = frozenset().union(*atoms.values())
        if everyone not in atoms.values() and not _splits_suffice(atoms, classes):
            # the relations need the sum of every class (a board's members: the voting ones
            # and the rest are also the executive and the non-executive ones)
            formula = _in_span(everyone, atoms)
            if formula is not None:
                classes[_formula_name(formula)] = (everyone, formula)
        for name, (_, formula) in classes.items():
            if name not in nodes:
                nodes[name] = Node(name, formula)
        every = dict(atoms) | {n: a for n, (a, _) in classes.items()}
        found += _splits_of(every, frozenset(classes))
    for bound in routing:
        if bound.whole in present and all(p in present for p in bound.parts):
            name = f"{' + '.join(bound.parts)} - {bound.whole}"
            formula = (*((p, 1) for p in bound.parts), (bound.whole, -1))
            nodes[name] = Node(name, formula, protected=False)
            found.append(((name, -1), *formula))
    parent, rest = _tree(found)
    in_tree = set(parent) | set(parent.values())
    nodes = {
        name: replace(node, implied=True)
        if node.derived and node.protected and name not in faces and name not in in_tree
        else node
        for name, node in nodes.items()
    }
    return MeasureModel(nodes, parent, tuple(rest))


def _derived_classes(
    atoms: Mapping[str, frozenset[str]], complements: Sequence[tuple[str, str]] = ()
) -> dict[str, tuple[frozenset[str], Formula]]:
    """The counts a reader derives from the measures: each figure's people at risk without the
    event (``complements``, present in ``atoms``), and every face of the cone the classes span
    (a fact ``sum(w * measure) >= 0`` that no smaller set of the others implies), each a class
    of people or a union of classes. A face that is the difference of a measure and one it
    contains is named as that difference; the others by their formula. Any other difference
    (the shortlisted without the international recruits) is a sum of these: implied by them,
    and protected through them."""
    out: dict[str, tuple[frozenset[str], Formula]] = {}
    known = {a: m for m, a in atoms.items()}
    for whole, part in complements:
        if whole in atoms and part in atoms and atoms[part] < atoms[whole]:
            classes = atoms[whole] - atoms[part]
            if classes not in known:
                known[classes] = f"{whole} - {part}"
                out[f"{whole} - {part}"] = (classes, ((whole, 1), (part, -1)))
    differences = {
        atoms[whole] - atoms[part]: (f"{whole} - {part}", ((whole, 1), (part, -1)))
        for whole, part in itertools.permutations(sorted(atoms), 2)
        if atoms[part] < atoms[whole]
    }
    for weights in _faces(atoms):
        face = _classes(atoms, weights)
        if face is None or face in known:
            continue
        formula = tuple((m, w) for m, w in weights.items() if w)
        name, formula = differences.get(face, (_formula_name(formula), formula))
        known[face] = name
        out[name] = (face, formula)
    return out


def _face_names(
    atoms: Mapping[str, frozenset[str]], classes: Mapping[str, tuple[frozenset[str], Formula]]
) -> set[str]:
    """The derived counts that are faces of the classes' cone."""
    faces = {_classes(atoms, weights) for weights in _faces(atoms)}
    return {name for name, (found, _) in classes.items() if found in faces}


def _splits_suffice(
    atoms: Mapping[str, frozenset[str]], classes: Mapping[str, tuple[frozenset[str], Formula]]
) -> bool:
    every = dict(atoms) | {n: a for n, (a, _) in classes.items()}
    try:
        _splits_of(every, frozenset(classes))
    except InternalError:
        return False
    return True


def _in_span(target: frozenset[str], atoms: Mapping[str, frozenset[str]]) -> Formula | None:
    """``target`` (a set of classes) as a whole-number sum of the measures, if it is one."""
    names = sorted(atoms)
    every = sorted(frozenset().union(*atoms.values()))
    rows = [[Fraction(int(a in atoms[m])) for m in names] for a in every]
    rhs = [Fraction(int(a in target)) for a in every]
    for weights in itertools.product((-1, 0, 1), repeat=len(names)):
        if all(
            sum(w * r for w, r in zip(weights, row, strict=True)) == b
            for row, b in zip(rows, rhs, strict=True)
        ):
            return tuple((m, w) for m, w in zip(names, weights, strict=True) if w)
    return None


def _formula_name(formula: Formula) -> str:
    plus = [m for m, w in formula if w > 0]
    minus = [m for m, w in formula if w < 0]
    return " + ".join(plus) + "".join(f" - {m}" for m in minus)


def _classes(
    atoms: Mapping[str, frozenset[str]], weights: Mapping[str, int]
) -> frozenset[str] | None:
    """The classes ``sum(weight * measure)`` counts, each once; None when it counts one twice."""
    every = sorted(frozenset().union(*atoms.values()))
    count = {a: sum(w for m, w in weights.items() if a in atoms[m]) for a in every}
    if any(c not in (0, 1) for c in count.values()):
        return None
    return frozenset(a for a, c in count.items() if c == 1)


def _faces(atoms: Mapping[str, frozenset[str]]) -> list[dict[str, int]]:
    """The faces of the cone spanned by the classes (each class a vector: the measures that
    count it), as integer weights of the measures: ``sum(w * measure) >= 0`` holds for every
    table of whole classes, and tightly on enough classes to span a face."""
    names = sorted(atoms)
    every = sorted(frozenset().union(*atoms.values()))
    vectors = [tuple(Fraction(int(a in atoms[m])) for m in names) for a in every]
    dim = _rank(vectors)
    if dim < len(names):  # the measures are not independent: no faces of this kind
        return []
    out: list[dict[str, int]] = []
    seen: set[tuple[int, ...]] = set()
    for tight in itertools.combinations(range(len(vectors)), dim - 1):
        chosen = [vectors[i] for i in tight]
        if _rank(chosen) != dim - 1:
            continue
        normal = _normal(chosen, len(names))
        signs = {
            _sign(Fraction(sum(n * v for n, v in zip(normal, vec, strict=True)))) for vec in vectors
        }
        if signs <= {0, 1}:
            pass
        elif signs <= {0, -1}:
            normal = [-n for n in normal]
        else:
            continue
        key = tuple(_integers(normal))
        if key not in seen:
            seen.add(key)
            out.append(dict(zip(names, key, strict=True)))
    return out


def _sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)


def _rank(vectors: Sequence[Sequence[Fraction]]) -> int:
    rows = [list(v) for v in vectors]
    rank = 0
    width = len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def _normal(vectors: Sequence[Sequence[Fraction]], width: int) -> list[Fraction]:
    """A non-zero vector orthogonal to ``vectors`` (which span ``width - 1`` dimensions)."""
    for col in range(width):
        unit = [Fraction(int(c == col)) for c in range(width)]
        if _rank([*vectors, unit]) == width:
            # solve vectors . n = 0 with n[col] = 1 (the others by elimination)
            return _solve_normal(vectors, width, col)
    msg = "no normal to a face (a bug in wres)"
    raise InternalError(msg)


def _solve_normal(vectors: Sequence[Sequence[Fraction]], width: int, col: int) -> list[Fraction]:
    rows = [[*v] for v in vectors]
    rows.append([Fraction(int(c == col)) for c in range(width)])
    rhs = [Fraction(0)] * len(vectors) + [Fraction(1)]
    n = width
    aug = [[*r, b] for r, b in zip(rows, rhs, strict=True)]
    for c in range(n):
        pivot = next(r for r in range(c, len(aug)) if aug[r][c] != 0)
        aug[c], aug[pivot] = aug[pivot], aug[c]
        for r in range(len(aug)):
            if r != c and aug[r][c] != 0:
                factor = aug[r][c] / aug[c][c]
                aug[r] = [x - factor * y for x, y in zip(aug[r], aug[c], strict=True)]
    return [aug[c][n] / aug[c][c] for c in range(n)]


def _integers(values: Sequence[Fraction]) -> list[int]:
    """The smallest whole multiple of ``values``."""
    lcm = 1
    for v in values:
        lcm = lcm * v.denominator // _gcd(lcm, v.denominator)
    whole = [int(v * lcm) for v in values]
    divisor = 0
    for w in whole:
        divisor = _gcd(divisor, abs(w))
    return [w // divisor for w in whole] if divisor else whole


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _splits_of(
    nodes: Mapping[str, frozenset[str]], derived: frozenset[str] = frozenset()
) -> list[Formula]:
    """Independent relations ``whole = sum(parts)`` among ``nodes`` (each a set of classes),
    as many as there are: splits into the fewest parts first, then those of published measures
    into published measures (``derived`` names the others), the largest wholes first."""
    names = sorted(nodes)
    every = sorted(frozenset().union(*nodes.values()))
    column = {a: i for i, a in enumerate(every)}

    def vector(name: str) -> list[Fraction]:
        out = [Fraction(0)] * len(every)
        for a in nodes[name]:
            out[column[a]] = Fraction(1)
        return out

    wanted = len(names) - _rank([vector(n) for n in names])
    candidates = []
    for whole in names:
        smaller = [n for n in names if nodes[n] < nodes[whole]]
        for size in range(2, min(len(smaller), 3) + 1):
            for parts in itertools.combinations(smaller, size):
                covered = [a for p in parts for a in nodes[p]]
                if len(covered) == len(nodes[whole]) and set(covered) == nodes[whole]:
                    rank = (
                        size,
                        sum(p in derived for p in parts) + (whole in derived),
                        -len(nodes[whole]),
                        whole,
                        parts,
                    )
                    candidates.append((rank, whole, parts))
    found: list[Formula] = []
    rows: list[list[Fraction]] = []
    for _, whole, parts in sorted(candidates):
        if len(found) == wanted:
            break
        row = [Fraction(0)] * len(names)
        row[names.index(whole)] = Fraction(-1)
        for p in parts:
            row[names.index(p)] = Fraction(1)
        if _rank([*rows, row]) > len(rows):
            rows.append(row)
            found.append(((whole, -1), *((p, 1) for p in parts)))
    if len(found) != wanted:
        msg = f"the relations of measures {names} are not all splits (a bug in wres)"
        raise InternalError(msg)
    return found


def _tree(relations: Sequence[Formula]) -> tuple[dict[str, str], list[Formula]]:
    """A tree of the splits (a node split once, each part under one whole), the rest apart."""
    parent: dict[str, str] = {}
    split: set[str] = set()
    rest: list[Formula] = []

    def above(node: str) -> set[str]:
        out = set()
        while node in parent:
            node = parent[node]
            out.add(node)
        return out

    for relation in relations:
        wholes = [n for n, c in relation if c == -1]
        parts = [n for n, c in relation if c == 1]
        plain = len(wholes) == 1 and len(parts) + 1 == len(relation)
        whole = wholes[0] if wholes else ""
        if (
            plain
            and whole not in split
            and not any(p in parent for p in parts)
            and not set(parts) & (above(whole) | {whole})
        ):
            split.add(whole)
            for p in parts:
                parent[p] = whole
        else:
            rest.append(relation)
    return parent, rest
