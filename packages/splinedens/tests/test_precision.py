"""Precision does not depend on when x64 was switched on.

Module constants of splinedens are Python floats, so the inputs' dtype decides the precision.
A constant computed with ``jnp`` at import would stay float32 when x64 is enabled only after
the import (``_LOG_SQRT_2PI`` did: the GD-1 objective then differed by ~1e-8 relative). Each
case runs in a fresh interpreter, because the x64 flag and the import are process-wide.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

# The GD-1 objective at fixed parameters (the histogram start), on the packaged data.
_OBJECTIVE = textwrap.dedent(
    """
    import json, warnings
    import jax
    import jax.numpy as jnp
    import numpy as np

    if {x64_first}:
        jax.config.update("jax_enable_x64", True)
    from jaxstro import splinedens as sd
    import_dtype = str(jnp.asarray(0.0).dtype)
    jax.config.update("jax_enable_x64", True)

    gd1 = sd.datasets.load_gd1()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sd.prepare_stream_model(gd1.phi1, gd1.phi2, **sd.datasets.gd1_knots())
    p0 = sd.stream_histogram_init(gd1.phi1, gd1.phi2, model)
    both = jax.jit(lambda p, m: (sd.stream_objective(p, m), sd.stream_log_likelihood(p, m)))
    value, loglike = both(p0, model)
    print(json.dumps({{
        "import_dtype": import_dtype,
        "dtype": str(value.dtype),
        "objective": float(value),
        "loglike": float(loglike),
        "params": {{k: np.asarray(v).tolist() for k, v in p0.items()}},
    }}))
    """
)


def _run_both() -> tuple[dict, dict]:
    """(x64 switched on after the import, x64 on from the start), run side by side."""
    env = {**os.environ, "JAX_ENABLE_X64": "0", "JAX_PLATFORMS": "cpu"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OBJECTIVE.format(x64_first=first)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for first in (False, True)
    ]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr[-3000:]
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results[0], results[1]


@pytest.fixture(scope="module")
def late_and_early():
    return _run_both()


def test_x64_after_import_equals_x64_from_start(late_and_early):
    late, early = late_and_early
    # the first process really imported splinedens in float32 mode, the second in float64
    assert late["import_dtype"] == "float32"
    assert early["import_dtype"] == "float64"
    assert late["dtype"] == early["dtype"] == "float64"
    # same data, same starting point (numpy histograms): identical inputs
    for k in early["params"]:
        np.testing.assert_array_equal(late["params"][k], early["params"][k])
    # a float32 constant would leave ~1e-8 relative error; float64 throughout leaves rounding
    np.testing.assert_allclose(late["objective"], early["objective"], rtol=1e-13, atol=0)
    np.testing.assert_allclose(late["loglike"], early["loglike"], rtol=1e-13, atol=0)


def test_objective_matches_float64_reference(late_and_early):
    # both equal the independent scipy/numpy float64 reference (reference_stream.py), whose
    # 2-D nested Simpson sum differs from the library's 1-D background sum only by rounding
    import reference_stream as ref

    from jaxstro import splinedens as sd

    gd1 = sd.datasets.load_gd1()
    _, early = late_and_early
    want = ref.objective(early["params"], gd1.phi1, gd1.phi2)
    np.testing.assert_allclose(early["objective"], want, rtol=1e-10)
