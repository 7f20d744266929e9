"""Secondary suppression inside ``wres run``: checked by an attacker written here, from the
published files alone, and the run's behaviour when the audit fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from typer.testing import CliRunner, Result

from tests.precision import as_printed
from wres.cli import pipeline
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode
from wres.rules.secondary import Protection

runner = CliRunner()
HEADER = "indicator,organisation,year,ethnicity,numerator,denominator"
# BME and White staff entering a disciplinary process in four organisations: 3 and 2 are small
ROWS = (
    "3,R1,2024,BME,3,50",
    "3,R2,2024,BME,12,60",
    "3,R3,2024,BME,20,80",
    "3,R4,2024,BME,2,40",
    "3,R1,2024,White,20,200",
    "3,R2,2024,White,30,300",
    "3,R3,2024,White,25,250",
    "3,R4,2024,White,40,400",
)
TRUE = {("R1", "BME"): 3, ("R2", "BME"): 12, ("R3", "BME"): 20, ("R4", "BME"): 2}


def wres(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def counts(tmp_path: Path) -> Path:
    path = tmp_path / "counts.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def attacker_interval(published: pl.DataFrame, target: tuple[str, str]) -> tuple[int, int]:
    """The tightest integer interval for one BME numerator, from indicators.csv alone: each
    organisation's count is between 0 and its published denominator, published counts are
    what they say, and the All row is the sum of the organisations (an independent model: it
    does not use wres's own tables)."""
    rows = published.filter(pl.col("group") == "BME")
    orgs = sorted(o for o in rows["organisation"].to_list() if o != "All")
    index = {o: i for i, o in enumerate(orgs)}
    lower = np.zeros(len(orgs))
    upper = np.full(len(orgs), np.inf)
    total = None
    for row in rows.iter_rows(named=True):
        if row["organisation"] == "All":
            total = row["numerator"]
            continue
        i = index[row["organisation"]]
        if row["denominator"] is not None:
            upper[i] = row["denominator"]
        if row["numerator"] is not None:
            lower[i] = upper[i] = row["numerator"]
    constraints = []
    if total is not None:
        constraints.append(LinearConstraint(np.ones((1, len(orgs))), total, total))
    objective = np.zeros(len(orgs))
    objective[index[target[0]]] = 1.0
    found = []
    for sign in (1.0, -1.0):
        result = milp(
            sign * objective,
            bounds=Bounds(lower, upper),
            constraints=constraints,
            integrality=np.ones(len(orgs)),
        )
        assert result.status == 0
        found.append(round(sign * result.fun))
    return found[0], found[1]


def test_no_small_count_of_the_run_can_be_narrowed_below_seven_values(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    result = wres("run", "--counts", counts(tmp_path), "--by", "organisation", "--out", out, "-q")
    assert result.exit_code == ExitCode.OK, result.output
    published = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    for (org, group), value in TRUE.items():
        row = published.filter(pl.col("organisation") == org, pl.col("group") == group)
        if value <= 7:
            assert row["numerator"][0] is None
        if row["numerator"][0] is None:
            low, high = attacker_interval(published, (org, group))
            # wres-default: counts 1..7 withheld, min_attacker_interval = 7
            assert high - low + 1 >= 7 or low > 7, (org, low, high)
    # with R1 and R4 alone withheld, the published total would pin their sum to 5
    hidden = published.filter(pl.col("group") == "BME", pl.col("numerator").is_null())
    assert hidden.height >= 3
    certificate = pl.read_csv(out / "restricted" / "certificate.csv", infer_schema=False)
    assert set(certificate["result"]) == {"pass"}
    assert not {"value", "numerator"} & set(certificate.columns)


def test_rates_beside_rounded_counts_are_computed_from_the_rounded_counts(tmp_path: Path) -> None:
    # nhs-digital rounds published counts to the nearest 5: a rate from the true 12 beside a
    # published 10 would give 12 away
    out = tmp_path / "pack"
    result = wres(
        "run", "--counts", counts(tmp_path), "--by", "organisation",
        "--policy", "nhs-digital", "--out", out, "-q",
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    published = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    shown = published.filter(pl.col("rate").is_not_null())
    assert shown.height
    for row in shown.iter_rows(named=True):
        assert row["numerator"] % 5 == 0
        assert row["denominator"] % 5 == 0
        assert row["rate"] == as_printed(row["numerator"] / row["denominator"], "rate")


def test_a_failed_audit_publishes_nothing_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.protect_run

    def failing(*args: object, **kwargs: object) -> Protection:
        done = real(*args, **kwargs)  # type: ignore[arg-type]
        cert = dataclasses.replace(done.certificate, passed=np.zeros_like(done.certificate.passed))
        return dataclasses.replace(done, certificate=cert)

    monkeypatch.setattr(pipeline, "protect_run", failing)
    out = tmp_path / "pack"
    result = wres("run", "--counts", counts(tmp_path), "--by", "organisation", "--out", out)
    assert result.exit_code == ExitCode.DISCLOSURE_AUDIT_FAILED
    assert not any((out / "publish").iterdir())
    certificate = pl.read_csv(out / "restricted" / "certificate.csv", infer_schema=False)
    assert set(certificate["result"]) == {"FAIL"}
    assert "nothing was published" in result.output


REGIONS = {"R1": "North", "R2": "North", "R3": "South", "R4": "South"}


def test_an_organisation_is_protected_against_its_region_total(tmp_path: Path) -> None:
    # By region and by organisation as two separate cuts: no row shows both, but an attacker
    # knows which region each trust is in, so North's published BME count is R1 + R2
    path = tmp_path / "counts.csv"
    header = HEADER.replace("organisation", "region,organisation")
    rows = [f"{r.split(',')[0]},{REGIONS[r.split(',')[1]]},{r.split(',', 1)[1]}" for r in ROWS]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "pack"
    result = wres(
        "run", "--counts", path, "--by", "region", "--by", "organisation", "--out", out, "-q"
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    published = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    bme = published.filter(pl.col("group") == "BME")
    orgs = sorted(REGIONS)
    lower, upper = np.zeros(len(orgs)), np.zeros(len(orgs))
    for i, org in enumerate(orgs):
        row = bme.filter(pl.col("organisation") == org).row(0, named=True)
        known = row["numerator"]
        lower[i], upper[i] = (known, known) if known is not None else (0, row["denominator"])
    sums = []  # (organisations, published total): every region's and everyone's
    for row in bme.filter(pl.col("organisation") == "All").iter_rows(named=True):
        if row["numerator"] is not None:
            members = [o for o in orgs if row["region"] in ("All", REGIONS[o])]
            sums.append((members, row["numerator"]))
    assert len(sums) == 3  # North, South and everyone are published
    matrix = np.array([[1.0 if o in members else 0.0 for o in orgs] for members, _ in sums])
    totals = np.array([float(total) for _, total in sums])
    for org in ("R1", "R4"):  # the small counts, 3 and 2
        found = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(orgs))
            objective[orgs.index(org)] = sign
            solved = milp(
                objective,
                bounds=Bounds(lower, upper),
                constraints=[LinearConstraint(matrix, totals, totals)],
                integrality=np.ones(len(orgs)),
            )
            assert solved.status == 0
            found.append(round(sign * solved.fun))
        assert found[1] - found[0] + 1 >= 7, (org, found)
    certificate = pl.read_csv(out / "restricted" / "certificate.csv", infer_schema=False)
    assert "region / organisation" in certificate.columns
    assert {"North / R1", "South / R4"} <= set(certificate["region / organisation"])
