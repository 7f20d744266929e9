"""The manifest of a run (``restricted/manifest.json``): wres's version, the settings and their
hash, the policy, the inputs and their hashes, the seed of synthetic data, the organisation,
Unknown ethnicity by reason and the disclosure audit's summary.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from wres.cli.pack import file_sha256
from wres.cli.request import RunRequest
from wres.engine import __version__
from wres.engine.reconciliation import (
    Reconciliation,
)
from wres.rules.secondary import Protection


def unknown_ethnicity(reports: Sequence[Reconciliation]) -> dict[str, Any]:
    """The rows used of each input and its Unknown ethnicity by reason, for the report and
    the workbook to tell unrecognised values apart from not stated (the manifest is
    restricted; they publish of it words only, never a count)."""
    return {
        "ethnicity_unknown": {
            report.extract: {"rows_used": report.rows_used, **report.ethnicity_unknown}
            for report in reports
        }
    }


def _protection_summary(protection: Protection) -> dict[str, Any]:
    """What the manifest says of the secondary suppression and its audit (no cell, no value)."""
    cert = protection.certificate
    return {
        "applied": True,
        "attacker_audit": "passed" if cert.ok else "FAILED",
        "cells": protection.tables.n_cells,
        # no relation joins one part's counts to another's: each protected on its own
        "parts": protection.parts,
        "withheld_primary": int(protection.primary.sum()),
        "withheld_secondary": int(protection.secondary.sum()),
        # withheld, then published: a reader recovers them exactly from the rest
        "published_recoverable": protection.recovered,
        "audited": len(cert.cells),
        "failed": int((~cert.passed).sum()),
        "notes": list(protection.notes),
    }


def organisation(request: RunRequest, reports: Sequence[Reconciliation]) -> dict[str, Any]:
    """Whose figures these are: the name given, else the one organisation code of the data
    (None when it holds several or none), and how many codes the data hold."""
    codes = sorted({code for report in reports for code in report.organisations})
    name = request.organisation_name
    if name is None and len(codes) == 1:
        name = codes[0]
    return {"name": name, "codes_in_data": len(codes)}


def manifest_of(
    request: RunRequest,
    cuts: Sequence[Sequence[str]],
    protection: Protection,
    reports: Sequence[Reconciliation],
) -> dict[str, Any]:
    settings = {
        "standard": request.standard.short_name,
        **(
            {
                "ethnicity_level": str(request.settings.level),
                "unrecognised_ethnicity_at_most_percent": request.unrecognised_at_most_percent,
                "accept_unrecognised_ethnicity": request.accept_unrecognised,
            }
            if request.standard.characteristic == "ethnicity"
            else {"characteristic": request.standard.characteristic}
        ),
        "reference_group": request.settings.reference,
        "ci_method": request.settings.ci_method,
        "confidence_level": request.settings.confidence,
        "test": request.settings.test,
        "adjustment": request.adjust,
        "cuts": [list(c) for c in cuts],
        "column_mapping": dict(sorted(request.mapping.items())),
        "ethnicity_configuration": request.scheme.source,
        "policy_sha256": request.policy.sha256,
    }
    config_hash = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    inputs = dict(request.extracts)
    if request.counts is not None:
        inputs["counts"] = request.counts
    return {
        "wres_version": __version__,
        "settings": settings,
        "config_sha256": config_hash,
        "engine": request.engine,
        "policy": {
            "name": request.policy.name,
            "sha256": request.policy.sha256,
            "rules": {
                "primary": asdict(request.policy.primary),
                "rounding": asdict(request.policy.rounding),
                "secondary": asdict(request.policy.secondary),
            },
        },
        "secondary_protection": _protection_summary(protection),
        "organisation": organisation(request, reports),
        "inputs": {
            **{
                name: {"file": str(path), "sha256": file_sha256(path)}
                for name, path in sorted(inputs.items())
            },
            **{name: {"spark_dataframe": True} for name in sorted(request.frames)},
        },
        "seed": _synthetic_seed(inputs.values()),
        "command": list(request.command),
    }


def _synthetic_seed(paths: Iterable[Path]) -> int | None:
    """The seed of synthetic inputs, read from the truth file ``wres synth`` writes beside them."""
    for path in paths:
        truth = path.parent / "synth_truth.json"
        if truth.is_file():
            seed = json.loads(truth.read_text(encoding="utf-8")).get("seed")
            return int(seed) if seed is not None else None
    return None
