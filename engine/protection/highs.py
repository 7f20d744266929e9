"""``scipy.optimize.milp`` without its copying: the same programme, options and HiGHS.

scipy's ``milp`` hands its programme to HiGHS one element at a time: the integrality vector as a
Python list of enum values (even for a linear programme, all continuous) and every array through
a list, and it reads back duals and a per-column loop of bound multipliers nobody here uses.
Profiled on one national year, that was about 200 s of the 489 s spent in 10,182 solves (the
demo: 34 s of 82 s). :func:`milp` here checks its arguments with scipy's own checks, sets the
options scipy sets, passes the arrays through the array form of scipy's bundled HiGHS
(``_Highs.passModel``) and reads back the primal solution only; the solver, the model and the
options are scipy's, so the solutions are the same to the bit (a test compares them).

It reaches into scipy's private modules (``scipy.optimize._milp``, ``_highspy._core``): where a
scipy release moves them, :data:`FAST` is False and :func:`milp` is scipy's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult
from scipy.optimize import milp as scipy_milp

try:
    from scipy.optimize._highspy import _core
    from scipy.optimize._milp import (
        _highs_to_scipy_status_message,
        _milp_iv,
    )

    FAST = hasattr(_core, "_Highs") and hasattr(_core, "HighsOptions")
except ImportError:  # pragma: no cover - a scipy release that moved them
    FAST = False


def milp(
    c: npt.ArrayLike,
    *,
    integrality: npt.ArrayLike | None = None,
    bounds: Bounds | None = None,
    constraints: LinearConstraint | Sequence[LinearConstraint] | None = None,
    options: dict[str, Any] | None = None,
) -> OptimizeResult:
    """As ``scipy.optimize.milp`` (status, x, fun, success, message), solved the same way."""
    if not FAST:
        return scipy_milp(
            c, integrality=integrality, bounds=bounds, constraints=constraints, options=options
        )
    checked = _milp_iv(c, integrality, bounds, constraints, dict(options or {}))
    cost, kinds, lb, ub, indptr, indices, data, b_l, b_u, settings = checked
    highs = _core._Highs()
    highs_options = _core.HighsOptions()
    for key, value in settings.items():
        if value is None:
            continue
        # scipy's wrapper spells these switches as strings
        setattr(highs_options, key, ("on" if value else "off") if key == "presolve" else value)
    highs.passOptions(highs_options)
    highs.passModel(
        cost.size,
        b_u.size,
        data.size,
        int(_core.MatrixFormat.kColwise),
        int(_core.ObjSense.kMinimize),
        0.0,
        *(np.ascontiguousarray(a, np.float64) for a in (cost, lb, ub, b_l, b_u)),
        *(np.ascontiguousarray(a, np.int32) for a in (indptr, indices)),
        np.ascontiguousarray(data, np.float64),
        np.ascontiguousarray(kinds, np.int32),
    )
    highs.run()
    return _result(highs, is_mip=bool(np.any(kinds)))


def _result(highs: _core._Highs, *, is_mip: bool) -> OptimizeResult:
    """What scipy's wrapper reports of a run, without the duals: the same failure rules."""
    status = highs.getModelStatus()
    info = highs.getInfo()
    models = _core.HighsModelStatus
    stopped = (models.kTimeLimit, models.kIterationLimit, models.kSolutionLimit)
    if is_mip:
        failed = status not in (models.kOptimal, *stopped) or (
            status in stopped and info.objective_function_value == _core.kHighsInf
        )
    else:
        failed = status != models.kOptimal
    message = highs.modelStatusToString(status)
    code, message = _highs_to_scipy_status_message(status, message)
    if failed:
        return OptimizeResult(status=code, message=message, success=code == 0, x=None, fun=None)
    x = np.array(highs.getSolution().col_value)
    fun = info.objective_function_value
    return OptimizeResult(status=code, message=message, success=code == 0, x=x, fun=fun)
