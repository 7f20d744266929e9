"""What ``publish/`` prints of a figure: the precision docs/outputs.md documents per column.

Written out here, apart from ``wres.engine.precision``, so that a test of a published figure checks
the documented precision rather than whatever the code happens to do.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

#: Decimal places of each figure (docs/outputs.md#precision).
DECIMALS = {
    "rate": 3,
    "reference_rate": 3,
    "difference_pp": 1,
    "relative_likelihood": 3,
    "ci_low": 3,
    "ci_high": 3,
    "pooled_relative_likelihood": 3,
    "heterogeneity_q": 2,
    "trend_ratio_per_year": 3,
    "trend_slope": 4,
    "trend_se": 4,
}
#: Significant figures of each p-value.
SIGNIFICANT = {
    "p_value": 3,
    "p_adjusted": 3,
    "heterogeneity_p": 3,
    "trend_p": 3,
    "trend_p_adjusted": 3,
}


def as_printed(value: float, column: str) -> float:
    """``value`` (from an independent reference) rounded as ``publish/`` prints ``column``."""
    if column in SIGNIFICANT:
        return float(f"{value:.{SIGNIFICANT[column]}g}")
    step = Decimal(1).scaleb(-DECIMALS[column])
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))
