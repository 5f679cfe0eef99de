"""Property-based tests (issue 10, "find the rest"): every reader under imperfect files.

Files are built from the packaged samples with one random change: truncation at any byte,
a garbage line, a data row missing or gaining a column, permuted rows, a duplicated row,
plain and compressed copies of one file. The reader must give the clean result (where the
change is harmless), a subset of the clean lines (truncation at a line end), or a
DataFileError naming the file and a line - never a partial or wrong table.

Profiles (conftest.py): "ci" runs 25 derandomised examples per test; HYPOTHESIS_PROFILE=fuzz
(``nox -s fuzz``) runs 400 random ones.
"""

import bz2
import os
import pathlib
import re
import shutil
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaxstro import linedb as ld

CO = ld.datasets.sample_path("co_exomol")
PAR = ld.datasets.sample_path("co_hitemp")
PREFIX = "12C-16O__SAMPLE"
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow])

# a line that is never a record: its first word has no digit, "#" or "@" (not a number, an
# ExoMol .broad code, a comment or a CIA section), and the line has no "#" (.def)
GARBAGE = st.from_regex(r"[A-Za-z!$%&*;<>?^`|~]{1,8}( [ -\"$-~]{0,40})?", fullmatch=True)
MUTATIONS = ("truncate", "garbage", "drop_column", "extra_column", "permute", "duplicate")


def _text(path):
    raw = path.read_bytes()
    return (bz2.decompress(raw) if path.suffix == ".bz2" else raw).decode()


def _write(path, text):
    raw = text.encode()
    path.write_bytes(bz2.compress(raw) if path.suffix == ".bz2" else raw)


def _rows(lines, skip=()):
    """Indices of the data rows of ``lines`` (non-blank, not in ``skip``)."""
    return [i for i, ln in enumerate(lines) if ln.strip() and i not in skip]


def _mutate(text, kind, data, rows=None, fixed_width=False):
    """The text after one change of kind ``kind``.

    ``rows``: indices of the lines that are data rows (column changes, permutations and
    duplicates act on them); ``fixed_width``: columns are character spans (HITRAN).
    """
    lines = text.split("\n")
    rows = _rows(lines) if rows is None else rows
    if kind == "truncate":
        k = data.draw(st.integers(0, len(text) - 1), label="cut")
        return text[:k]
    if kind == "garbage":
        j = data.draw(st.integers(0, len(lines)), label="at")
        lines.insert(j, data.draw(GARBAGE, label="garbage"))
        return "\n".join(lines)
    i = data.draw(st.sampled_from(rows), label="row")
    if kind in ("drop_column", "extra_column") and fixed_width:
        a = data.draw(st.integers(0, 159), label="char")
        n = data.draw(st.integers(1, 12), label="width")
        ln = lines[i]
        lines[i] = ln[:a] + ln[a + n :] if kind == "drop_column" else ln[:a] + " 1.0" * n + ln[a:]
    elif kind == "drop_column":
        tok = lines[i].split()
        del tok[data.draw(st.integers(0, len(tok) - 1), label="col")]
        lines[i] = " ".join(tok)
    elif kind == "extra_column":
        tok = lines[i].split()
        extra = data.draw(st.sampled_from(["0", "1", "2.5", "1e-3", "x"]), label="extra")
        tok.insert(data.draw(st.integers(0, len(tok)), label="col"), extra)
        lines[i] = " ".join(tok)
    elif kind == "permute":
        order = data.draw(st.permutations(rows), label="order")
        moved = [lines[r] for r in order]
        for r, ln in zip(rows, moved, strict=True):
            lines[r] = ln
    elif kind == "duplicate":
        lines.insert(data.draw(st.sampled_from(rows), label="to"), lines[i])
    return "\n".join(lines)


def _check_error(exc, path):
    """A DataFileError naming the file and (where a line is at fault) the line."""
    msg = str(exc)
    assert isinstance(exc, ld.DataFileError), repr(exc)
    assert path.name in msg or str(path.parent) in msg, msg


def _line_table(lines):
    """One row per line: every per-line field (sorted by the reader), for set comparisons."""
    cols = [
        lines.nu_cm1,
        lines.strength_ref,
        lines.elower_cm1,
        lines.einstein_a,
        lines.g_upper,
        lines.delta_ref,
        lines.isotope,
        lines.abundance,
        lines.molmass_amu,
        *lines.gamma_ref.T,
        *lines.n_temp.T,
    ]
    return np.stack([np.asarray(c, dtype=np.float64) for c in cols], axis=1)


def _assert_equal(a, b):
    for name in a._fields:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            assert x == y, name


def _assert_subset(part, full, free_broadening=False):
    """Every line of ``part`` is a line of ``full`` with the same values (truncated input)."""
    a, b = _line_table(part), _line_table(full)
    nb = part.gamma_ref.shape[1]
    if free_broadening:  # a truncated .broad table: lines may fall back to the .def defaults
        a, b = a[:, : -2 * nb], b[:, : -2 * nb]
    rows = {tuple(r) for r in b.tolist()}
    assert all(tuple(r) in rows for r in a.tolist())
    assert part.n_lines <= full.n_lines


# --- ExoMol ---------------------------------------------------------------------------------


def _read_exomol(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return ld.read_exomol(folder, broadener="H2", cache=False)


CO_CLEAN = _read_exomol(CO)
CO_FILES = {
    "def": f"{PREFIX}.def",
    "states": f"{PREFIX}.states.bz2",
    "trans": f"{PREFIX}.trans.bz2",
    "pf": f"{PREFIX}.pf.bz2",
    "broad": "12C-16O__H2.broad",
}


@SETTINGS
@given(which=st.sampled_from(sorted(CO_FILES)), kind=st.sampled_from(MUTATIONS), data=st.data())
def test_fuzz_exomol_mutated_file(which, kind, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "CO"
        shutil.copytree(CO, folder)
        path = folder / CO_FILES[which]
        text = _text(path)
        if which == "def" and kind in ("drop_column", "extra_column", "permute"):
            kind = "garbage"  # .def lines are positional "value # description" entries
        mutated = _mutate(text, kind, data)
        _write(path, mutated)
        try:
            got = _read_exomol(folder)
        except ld.DataFileError as exc:
            _check_error(exc, path)
            if kind != "truncate" and which != "def":
                assert re.search(r", line \d+: ", str(exc)), str(exc)
            return
        if kind == "permute" or mutated == text:
            _assert_equal(got, CO_CLEAN)
        elif kind == "truncate":  # every line kept is a clean line: no cut value
            _assert_subset(got, CO_CLEAN, free_broadening=which == "broad")
        elif kind == "duplicate" and which == "def":
            _assert_equal(got, CO_CLEAN)  # a repeated "value # description" entry
        else:
            pytest.fail(f"{kind} of {which} gave a table instead of a DataFileError")


@SETTINGS
@given(
    both=st.lists(st.sampled_from(["states", "trans", "pf"]), min_size=1, unique=True),
    newer_bz2=st.lists(st.booleans(), min_size=3, max_size=3),
    split_copy=st.booleans(),
)
def test_fuzz_exomol_plain_and_compressed_copies(both, newer_bz2, split_copy):
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "CO"
        shutil.copytree(CO, folder)
        for name, newer in zip(both, newer_bz2, strict=False):
            packed = folder / CO_FILES[name]
            plain = packed.with_suffix("")
            plain.write_bytes(bz2.decompress(packed.read_bytes()))
            st_ = packed.stat()
            os.utime(plain, ns=(st_.st_atime_ns, st_.st_mtime_ns))
            if newer:
                os.utime(packed, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))
        if split_copy:  # the same lines again under a wavenumber-split name
            shutil.copy(folder / CO_FILES["trans"], folder / f"{PREFIX}__04000-05000.trans.bz2")
            with pytest.raises(ld.DataFileError, match="both the whole transition file"):
                _read_exomol(folder)
            return
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            got = ld.read_exomol(folder, broadener="H2", cache=False)
        said = [str(w.message) for w in rec if "holds both" in str(w.message)]
        assert len(said) == len(both)
        _assert_equal(got, CO_CLEAN)


# --- HITRAN -----------------------------------------------------------------------------------

PAR_LINES = bz2.decompress(PAR.read_bytes()).decode().split("\n")[:40]
PAR_TEXT = "\n".join(PAR_LINES) + "\n"


def _read_par(path, **kw):
    return ld.read_hitran(path, cache=False, **kw)


@pytest.fixture(scope="module")
def par_clean(tmp_path_factory):
    path = tmp_path_factory.mktemp("par") / "clean.par"
    path.write_text(PAR_TEXT)
    return _read_par(path)


@SETTINGS
@given(kind=st.sampled_from(MUTATIONS), compressed=st.booleans(), data=st.data())
def test_fuzz_hitran_mutated_file(par_clean, kind, compressed, data):
    mutated = _mutate(PAR_TEXT, kind, data, fixed_width=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / ("x.par.bz2" if compressed else "x.par")
        _write(path, mutated)
        try:
            got = _read_par(path)
        except ld.DataFileError as exc:
            _check_error(exc, path)
            return
    if kind == "permute" or mutated == PAR_TEXT:
        _assert_equal(got, par_clean)
    elif kind == "truncate":  # every line kept is a clean line: no cut value
        _assert_subset(got, par_clean)
    else:
        pytest.fail(f"{kind} gave a table instead of a DataFileError")


@SETTINGS
@given(
    bad=st.lists(st.integers(0, 39), min_size=1, max_size=5, unique=True),
    value=st.sampled_from(["-1.000E-25", "       NaN", "      -inf", "       inf", "-0.001E+00"]),
)
def test_fuzz_hitran_bad_intensities(par_clean, bad, value):
    lines = list(PAR_LINES)
    for i in bad:
        lines[i] = lines[i][:15] + value + lines[i][25:]
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "bad.par"
        path.write_text("\n".join(lines) + "\n")
        with pytest.raises(ld.DataFileError, match=rf"bad\.par, line {min(bad) + 1}: intensity"):
            _read_par(path)
        keep = pathlib.Path(tmp) / "keep.par"
        keep.write_text("\n".join(ln for i, ln in enumerate(PAR_LINES) if i not in bad) + "\n")
        with pytest.warns(UserWarning, match=rf"dropped {len(bad)} of 40 records"):
            got = _read_par(path, bad_lines="drop")
        want = _read_par(keep)
    _assert_equal(got, want)
    _assert_subset(got, par_clean)


# --- CIA --------------------------------------------------------------------------------------


def _cia_text(final_newline):
    """Two 30-row blocks (60 K and 100 K) of the packaged Borysow tables in HITRAN layout."""
    lines = _text(ld.datasets.sample_path("h2h2_cia")).split("\n")
    out = []
    for head in (0, 825):
        out.append(lines[head].replace(" 824 ", "  30 "))
        out += lines[head + 1 : head + 31]
    return "\n".join(out) + ("\n" if final_newline else "")


CIA_HEADERS = (0, 31)


@SETTINGS
@given(kind=st.sampled_from(MUTATIONS), final_newline=st.booleans(), data=st.data())
def test_fuzz_hitran_cia_mutated_file(kind, final_newline, data):
    text = _cia_text(final_newline)
    lines = text.split("\n")
    clean = ld.read_cia(_tmp_file(text, "clean.cia"))
    if kind == "permute":  # rows within one block (rows of different blocks are not alike)
        block = data.draw(st.sampled_from([range(1, 31), range(32, 62)]), label="block")
        rows = list(block)
    else:
        rows = _rows(lines, skip=CIA_HEADERS)
    mutated = _mutate(text, kind, data, rows=rows)
    path = _tmp_file(mutated, "x.cia")
    try:
        got = ld.read_cia(path)
    except ld.DataFileError as exc:
        _check_error(exc, path)
        return
    finally:
        shutil.rmtree(path.parent)
    if kind == "permute" or mutated.rstrip("\n") == text.rstrip("\n"):
        _assert_cia_equal(got, clean)
    elif kind == "truncate":  # whole blocks only, no cut value
        assert set(got.t_k.tolist()) <= set(clean.t_k.tolist())
        np.testing.assert_array_equal(got.nu_cm1, clean.nu_cm1)
        np.testing.assert_array_equal(got.coeff, clean.coeff[np.isin(clean.t_k, got.t_k)])
    else:
        pytest.fail(f"{kind} gave a table instead of a DataFileError")


def _borysow_text():
    lines = _text(ld.datasets.sample_path("h2h2_cia_dat")).split("\n")
    data = lines.index("@DATA") if "@DATA" in lines else None
    head = [i for i, ln in enumerate(lines) if ln.strip() and ln.split()[0][0].isdigit()]
    first = head[0] if data is None else data + 1
    return "\n".join(lines[: first + 30]) + "\n", first


@SETTINGS
@given(kind=st.sampled_from(MUTATIONS), data=st.data())
def test_fuzz_borysow_mutated_file(kind, data):
    text, first = _borysow_text()
    lines = text.split("\n")
    clean = ld.read_cia(_tmp_file(text, "clean.dat"))
    rows = [i for i in _rows(lines) if i >= first and not lines[i].lstrip().startswith("#")]
    mutated = _mutate(text, kind, data, rows=rows)
    path = _tmp_file(mutated, "x.dat")
    try:
        got = ld.read_cia(path)
    except ld.DataFileError as exc:
        _check_error(exc, path)
        return
    finally:
        shutil.rmtree(path.parent)
    if kind == "permute" or mutated == text:
        _assert_cia_equal(got, clean)
    elif kind == "truncate":  # whole rows only, no cut value
        np.testing.assert_array_equal(got.t_k, clean.t_k)
        keep = np.isin(clean.nu_cm1, got.nu_cm1)
        np.testing.assert_array_equal(got.nu_cm1, clean.nu_cm1[keep])
        np.testing.assert_array_equal(got.coeff, clean.coeff[:, keep])
    else:
        pytest.fail(f"{kind} gave a table instead of a DataFileError")


def _tmp_file(text, name):
    path = pathlib.Path(tempfile.mkdtemp()) / name
    path.write_text(text)
    return path


def _assert_cia_equal(a, b):
    np.testing.assert_array_equal(a.nu_cm1, b.nu_cm1)
    np.testing.assert_array_equal(a.t_k, b.t_k)
    np.testing.assert_array_equal(a.coeff, b.coeff)
    assert a.pair == b.pair


def test_fuzz_readers_do_not_need_jax():
    """The linedb nox session has no JAX: the readers exercised here must not import it."""
    import subprocess
    import sys

    code = (
        "import sys, jaxstro.linedb as ld\n"
        "sys.modules['jax'] = None  # any 'import jax' now raises ImportError\n"
        "ld.read_cia(ld.datasets.sample_path('h2h2_cia_test'))\n"
        "ld.read_exomol(ld.datasets.sample_path('co_exomol'), cache=False)\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ok"
