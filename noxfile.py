"""nox sessions of the jaxstro monorepo.

    nox                       all package tests + integration tests on CPU (what CI runs)
    nox -l                    list sessions
    nox -s "tests(package='splinedens', device='cpu')"
    nox -s examples -- --quick
    nox -s slow integration examples docs lint bench
    nox -s validate           regenerate docs/validation.md (measured accuracy vs references)
    nox -s fuzz               deeper property-based (hypothesis) runs of readers and numerics
    nox -s minversions        each package's tests at the lowest dependency versions it allows

Every session builds its own virtualenv and installs only what it declares, so a
package's tests prove that it installs on its own. `nox -db uv` (or the default
backend below, which prefers uv) keeps the many environments cheap.
"""

from __future__ import annotations

import os
import pathlib

import nox

ROOT = pathlib.Path(__file__).parent
PACKAGES = ["linedb", "opacity", "rtransfer", "specops", "sedphys", "splinedens", "infer-utils"]
# sibling packages each package needs at install time (they are not on PyPI yet)
LOCAL_DEPS = {"opacity": ["linedb"]}
# optional extras each package's tests use
TEST_EXTRAS = {"infer-utils": "test,arviz,geovi", "splinedens": "test"}
DEVICES = {"cpu": [], "gpu": ["jax[cuda12]"]}

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = False
nox.options.sessions = [f"tests(package='{p}', device='cpu')" for p in PACKAGES] + ["integration"]


def _pkg(name: str, extras: str | None = None) -> str:
    path = f"./packages/{name}"
    return f"{path}[{extras}]" if extras else path


def _install_packages(session: nox.Session, names: list[str], extras: dict[str, str]) -> None:
    session.install(*[_pkg(n, extras.get(n)) for n in names])


def _parallel(session: nox.Session) -> list[str]:
    """pytest-xdist over the machine's cores (at most 4), one test file per worker at a time
    (module-level state and session fixtures stay with their file). The tests are mostly XLA
    compilation, which is single-threaded: two workers on CI's 2 cores cut the CPU sessions'
    pytest time; `-- -p no:xdist` (or any posargs) runs serially."""
    session.install("pytest-xdist>=3.5")
    return ["-n", str(max(1, min(os.cpu_count() or 1, 4))), "--dist", "loadfile"]


def _cpu_env() -> dict[str, str]:
    return {"JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}


@nox.session
@nox.parametrize("device", list(DEVICES))
@nox.parametrize("package", PACKAGES)
def tests(session: nox.Session, package: str, device: str) -> None:
    """One package's tests in an environment holding only that package (+ its siblings)."""
    names = LOCAL_DEPS.get(package, []) + [package]
    _install_packages(session, names, {package: TEST_EXTRAS.get(package, "test")})
    if DEVICES[device]:
        session.install(*DEVICES[device])
    env = _cpu_env() if device == "cpu" else {"MPLBACKEND": "Agg"}
    # one process per GPU: JAX preallocates most of the device memory
    args = session.posargs or ["-m", "not slow", *(_parallel(session) if device == "cpu" else [])]
    session.run("pytest", f"packages/{package}/tests", *args, env=env)


def _install_all(session: nox.Session) -> None:
    extras = {p: "test" for p in PACKAGES}
    extras["infer-utils"] = "test,arviz,geovi"
    _install_packages(session, PACKAGES, extras)


@nox.session
def integration(session: nox.Session) -> None:
    """Cross-package pipelines (reduced size) and a --quick run of every example."""
    _install_all(session)
    session.install("matplotlib", "jupytext")
    args = session.posargs or ["-m", "not slow"]
    session.run("pytest", "integration_tests", *args, env=_cpu_env())


@nox.session
def slow(session: nox.Session) -> None:
    """The long end-to-end runs (full-size fits and samplers) of every package and pipeline."""
    _install_all(session)
    session.install("matplotlib", "jupytext")
    # one pytest run per folder (each package's tests/ has its own conftest helpers); exit
    # code 5 = nothing marked slow there
    for path in [f"packages/{p}/tests" for p in PACKAGES] + ["integration_tests"]:
        session.run(
            "pytest", path, "-m", "slow", *session.posargs, env=_cpu_env(), success_codes=[0, 5]
        )


@nox.session
@nox.parametrize("package", PACKAGES)
def fuzz(session: nox.Session, package: str) -> None:
    """Deeper property-based runs (hypothesis profile "fuzz") of a package's tests/test_fuzz_*.py.

    CI runs the same tests with the bounded, derandomised "ci" profile; `nox -s fuzz` draws
    fresh random examples each time (`-- --hypothesis-seed=N` to replay one)."""
    names = LOCAL_DEPS.get(package, []) + [package]
    _install_packages(session, names, {package: TEST_EXTRAS.get(package, "test")})
    env = _cpu_env() | {"HYPOTHESIS_PROFILE": "fuzz"}
    # exit code 5 = the package has no fuzz tests
    session.run(
        "pytest",
        f"packages/{package}/tests",
        "-k",
        "fuzz",
        *session.posargs,
        env=env,
        success_codes=[0, 5],
    )


@nox.session
@nox.parametrize("package", PACKAGES)
def minversions(session: nox.Session, package: str) -> None:
    """A package's tests at the lowest versions its pyproject allows (uv's lowest-direct
    resolution): proves the lower bounds of its dependencies are true."""
    names = LOCAL_DEPS.get(package, []) + [package]
    session.install(
        "--resolution=lowest-direct",
        *[_pkg(n, TEST_EXTRAS.get(n, "test") if n == package else None) for n in names],
    )
    session.run(  # the versions actually tested
        "python",
        "-c",
        "import importlib.metadata as m; print(sorted((d.metadata['Name'], d.version) "
        "for d in m.distributions()))",
    )
    args = session.posargs or ["-m", "not slow"]
    session.run("pytest", f"packages/{package}/tests", *args, env=_cpu_env())


@nox.session
def examples(session: nox.Session) -> None:
    """Run every examples/*.py headless (figures to build/examples); `-- --quick` for short runs."""
    _install_all(session)
    session.install("matplotlib", "jupytext")
    outdir = ROOT / "build" / "examples"
    outdir.mkdir(parents=True, exist_ok=True)
    env = _cpu_env() | {"JAXSTRO_FIGDIR": str(outdir)}
    for script in sorted((ROOT / "examples").glob("[!_]*.py")):
        session.log(f"running {script.name}")
        session.run("python", str(script), *session.posargs, env=env)


def _validation_page(session: nox.Session, command: str) -> None:
    """Regenerate docs/validation.md from a run of validation/generate.py (the numbers on the
    page are measured by this run). DSPS is the peer of the SED convention comparison only:
    installed here, never a package dependency."""
    session.install("dsps", "speclite", "astropy", "scipy")
    session.run(
        "python",
        "validation/generate.py",
        "--out",
        "docs/validation.md",
        "--command",
        command,
        *session.posargs,
        env=_cpu_env(),
    )


@nox.session
def validate(session: nox.Session) -> None:
    """Regenerate docs/validation.md: every physics quantity against its independent reference."""
    _install_all(session)
    _validation_page(session, "nox -s validate")


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate the validation page, then build the site (mkdocs, strict: warnings are errors)."""
    _install_all(session)
    _validation_page(session, "nox -s docs")
    session.install("mkdocs>=1.6,<2", "mkdocstrings[python]>=0.26", "mkdocs-material>=9")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        "build/site",
        env=_cpu_env() | {"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed/memory benchmarks (ratios against baselines run in the same process).

    Peer codes are baselines, never dependencies. ExoJAX 2.6 pins an older JAX than
    infer-utils allows, so it gets its own virtualenv inside this session's: bench_opacity.py
    runs there (ExoJAX called in-process), and bench_rtransfer.py / bench_specops.py call it
    as a child process (JAXSTRO_EXOJAX_PYTHON)."""
    _install_all(session)
    session.install("jax-cosmo", "matplotlib", "dsps", "jaxns")
    outdir = ROOT / "build" / "bench"
    outdir.mkdir(parents=True, exist_ok=True)
    exo = pathlib.Path(session.virtualenv.location) / "exojax-venv"
    exo_py = exo / "bin" / "python"
    session.run("uv", "venv", "-q", "-p", "3.11", str(exo), external=True)
    session.run(
        "uv", "pip", "install", "-q", "--python", str(exo_py), "exojax==2.6.0",
        "./packages/linedb", "./packages/opacity", external=True,
    )  # fmt: skip
    env = _cpu_env() | {"JAXSTRO_BENCHDIR": str(outdir), "JAXSTRO_EXOJAX_PYTHON": str(exo_py)}
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        python = str(exo_py) if script.name == "bench_opacity.py" else "python"
        session.run(python, str(script), *session.posargs, env=env, external=True)


@nox.session(name="tests-gpu-all")
def tests_gpu_all(session: nox.Session) -> None:
    """All package tests in one environment with CUDA 12 JAX (for a GPU node)."""
    _install_all(session)
    session.install(*DEVICES["gpu"])
    # one pytest run per package: each package's tests/ has its own conftest helpers
    for p in PACKAGES:
        session.run(
            "pytest",
            f"packages/{p}/tests",
            "-m",
            "not slow",
            *session.posargs,
            env={"MPLBACKEND": "Agg"},
        )
