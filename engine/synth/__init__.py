"""Synthetic WRES and WDES extracts with known, injected disparities (``wres synth``).

The model and every default are described in docs/synthetic-data.md.
"""

from wres.engine.synth.config import Drift, SynthConfig
from wres.engine.synth.generate import (
    SynthResult,
    TrustData,
    generate_trust,
    parse_years,
    write_synthetic,
)
from wres.engine.synth.organisations import MAX_TRUSTS, Trust
from wres.engine.synth.output import EXTRACT_NAMES, TRUTH_FILE, OutputFormat, check_out_dir

__all__ = [
    "EXTRACT_NAMES",
    "MAX_TRUSTS",
    "TRUTH_FILE",
    "Drift",
    "OutputFormat",
    "SynthConfig",
    "SynthResult",
    "Trust",
    "TrustData",
    "check_out_dir",
    "generate_trust",
    "parse_years",
    "write_synthetic",
]
