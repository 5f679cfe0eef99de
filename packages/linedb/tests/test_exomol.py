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


def _parse_broad(path):
    """a0 {J'': (gamma, n)} and a1 {(J'', J'): (gamma, n)} from an ExoMol .broad file."""
    a0, a1 = {}, {}
    for line in path.read_text().splitlines():
        f = line.split()
        if f and f[0] == "a0":
            a0[int(f[3])] = (float(f[1]), float(f[2]))
        elif f and f[0] == "a1":
            a1[int(f[3]), int(f[4])] = (float(f[1]), float(f[2]))
    return a0, a1


def test_h2o_a1_broadening_matches_broad_file(cache):
    """gamma_ref and n_temp of every H2O sample line against its .broad entry, parsed here in
    plain Python: a1 (J'', J') where the table has the pair (P and R branches), else a0 (J'').

    Units: ExoMol gamma_ref is the HWHM at 296 K and 1 bar [cm^-1/bar] (Tennyson et al. 2016,
    J. Mol. Spectrosc. 327, 73, section on pressure broadening; the sample .def says
    "Lorentzian half-width ... (in cm-1/bar)"; ExoJAX's gamma_exomol multiplies it by P in
    bar). LineList holds widths per bar too, so the values must be equal, not divided by
    1.01325 as HITRAN's per-atm widths are."""
    w = ld.read_exomol(H2O, nu_range=(4300, 4400), broadener={"H2": 0.5, "He": 0.5}, cache=cache)
    states = {}  # id -> (energy [cm^-1], J)
    for line in bz2.open(H2O / "1H2-16O__SAMPLE.states.bz2", "rt"):
        f = line.split()
        states[int(f[0])] = (float(f[1]), int(f[3]))
    nu, jl, ju = [], [], []
    for line in bz2.open(H2O / "1H2-16O__SAMPLE__04300-04400.trans.bz2", "rt"):
        f = line.split()
        (e_up, j_up), (e_lo, j_lo) = states[int(f[0])], states[int(f[1])]
        nu.append(e_up - e_lo)
        jl.append(j_lo)
        ju.append(j_up)
    order = np.argsort(nu, kind="stable")
    np.testing.assert_allclose(w.nu_cm1, np.asarray(nu)[order], rtol=1e-13)
    pairs = [(jl[i], ju[i]) for i in order]
    assert list(w.broadeners) == ["H2", "He"]
    for b, name in enumerate(("H2", "He")):
        a0, a1 = _parse_broad(H2O / f"1H2-16O__{name}.broad")
        in_a1 = np.array([p in a1 for p in pairs])
        # both codes are exercised: Q-branch lines (J' = J'') are only in a0
        assert in_a1.sum() > 100 and (~in_a1).sum() > 10
        want = np.array([a1[p] if p in a1 else a0[p[0]] for p in pairs])
        np.testing.assert_array_equal(w.gamma_ref[:, b], want[:, 0])
        np.testing.assert_array_equal(w.n_temp[:, b], want[:, 1])
        # the a1 value differs from the a0 one for most of these lines: the lookup matters
        differs = [a1[p][0] != a0[p[0]][0] for p in pairs if p in a1]
        assert np.mean(differs) > 0.5


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
