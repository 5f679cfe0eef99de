import bz2

import numpy as np
import pytest

from jaxstro import linedb as ld

CO = ld.datasets.sample_path("co_exomol")
H2O = ld.datasets.sample_path("h2o_exomol")


def _reference_strength(folder, prefix, trans_name):
    """Independent float64 intensities at 296 K straight from the text files."""
    states = np.loadtxt(bz2.open(folder / f"{prefix}.states.bz2", "rt"), usecols=(0, 1, 2))
    trans = np.loadtxt(bz2.open(folder / trans_name, "rt"), usecols=(0, 1, 2))
    pf = np.loadtxt(bz2.open(folder / f"{prefix}.pf.bz2", "rt"))
    idx = {int(i): k for k, i in enumerate(states[:, 0])}
    up = np.array([idx[int(i)] for i in trans[:, 0]])
    lo = np.array([idx[int(i)] for i in trans[:, 1]])
    nu = states[up, 1] - states[lo, 1]
    c2, c, t = 1.438776877, 2.99792458e10, 296.0
    q = np.interp(t, pf[:, 0], pf[:, 1])
    s = (
        states[up, 2]
        * trans[:, 2]
        / (8 * np.pi * c * nu**2)
        * np.exp(-c2 * states[lo, 1] / t)
        * (1 - np.exp(-c2 * nu / t))
        / q
    )
    order = np.argsort(nu)
    return nu[order], s[order], states[lo, 1][order]


def test_co_intensities_match_reference(cache):
    with pytest.warns(UserWarning, match="beyond the H2 .broad table"):
        co = ld.read_exomol(CO, cache=cache)
    nu, s, el = _reference_strength(CO, "12C-16O__SAMPLE", "12C-16O__SAMPLE.trans.bz2")
    assert co.n_lines == 259 and co.source == "exomol"
    np.testing.assert_allclose(co.nu_cm1, nu, rtol=1e-12)
    np.testing.assert_allclose(co.strength_ref, s, rtol=1e-10)
    np.testing.assert_allclose(co.elower_cm1, el, rtol=1e-12)
    np.testing.assert_allclose(co.molmass_amu, 28.0101)
    np.testing.assert_array_equal(co.abundance, 1.0)


def test_h2o_split_file_and_a1_broadening(cache):
    w = ld.read_exomol(H2O, nu_range=(4300, 4400), cache=cache)
    nu, s, _ = _reference_strength(H2O, "1H2-16O__SAMPLE", "1H2-16O__SAMPLE__04300-04400.trans.bz2")
    np.testing.assert_allclose(w.strength_ref, s, rtol=1e-10)
    assert np.all((w.gamma_ref > 0.0) & (w.gamma_ref < 0.2))
    with pytest.raises(ValueError, match="no ExoMol transition file"):
        ld.read_exomol(H2O, nu_range=(1000, 1100), cache=False)


def test_broadening_table_lookup_and_fallback(cache):
    with pytest.warns(UserWarning, match="use the .def defaults"):
        co = ld.read_exomol(CO, broadener={"H2": 0.85, "He": 0.15}, cache=cache)
    jl = None  # recompute J'' of each line from the states file
    states = np.loadtxt(bz2.open(CO / "12C-16O__SAMPLE.states.bz2", "rt"), usecols=(0, 1, 3))
    trans = np.loadtxt(bz2.open(CO / "12C-16O__SAMPLE.trans.bz2", "rt"), usecols=(0, 1))
    idx = {int(i): k for k, i in enumerate(states[:, 0])}
    nu = np.array([states[idx[int(u)], 1] - states[idx[int(l_)], 1] for u, l_ in trans])
    jl = np.array([states[idx[int(l_)], 2] for _, l_ in trans])[np.argsort(nu)]
    table = np.loadtxt(CO / "12C-16O__H2.broad", usecols=(1, 2, 3))
    lookup = {int(j): (a, n) for a, n, j in table}
    expect = np.array([lookup.get(int(j), (0.07, 0.5))[0] for j in jl])
    np.testing.assert_allclose(co.gamma_ref[:, 0], expect)
    np.testing.assert_allclose(co.broadener_fractions, [0.85, 0.15])
    with pytest.raises(ValueError, match="unknown broadener"):
        ld.read_exomol(CO, broadener="CO2", cache=False)


def test_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError):
        ld.read_exomol(tmp_path)
    folder = tmp_path / "CO"
    folder.mkdir()
    for f in CO.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    t = folder / "12C-16O__SAMPLE.trans.bz2"
    t.write_bytes(t.read_bytes()[:1000])
    with pytest.raises(ld.DataFileError, match="truncated or corrupt bz2"):
        ld.read_exomol(folder, cache=False)
