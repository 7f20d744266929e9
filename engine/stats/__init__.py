"""The statistical API (SPEC section 10): ``relative_likelihood``, ``p_value``, ``adjust``.

Arrays in, arrays out: every function takes one element per comparison, so a run with millions
of comparisons makes one call. This first version is plain numpy and scipy; the numba core of a
later issue keeps these names and signatures.
"""

from engine.stats.multiplicity import adjust
from engine.stats.two_by_two import RatioEstimate, p_value, relative_likelihood

__all__ = ["RatioEstimate", "adjust", "p_value", "relative_likelihood"]
