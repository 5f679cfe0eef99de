import bz2

import h5py
import numpy as np
import pytest

from jaxstro import linedb as ld

PAR = ld.datasets.sample_path("co_hitemp")


def _numpy_reference():
    """Independent fixed-width parse of the 160-character records (HITRAN 2004 format)."""
    rows = bz2.decompress(PAR.read_bytes()).decode().splitlines()
    f = lambda a, b: np.array([float(r[a:b]) for r in rows])
    return {
        "iso": f(2, 3),
        "nu": f(3, 15),
        "S": f(15, 25),
        "A": f(25, 35),
        "gair": f(35, 40),
        "gself": f(40, 45),
        "El": f(45, 55),
        "n": f(55, 59),
        "delta": f(59, 67),
        "gu": f(146, 153),
    }


@pytest.fixture(scope="module")
def co(cache):
    return ld.read_hitran(PAR, cache=cache)


def test_matches_fixed_width_reference(co):
    ref = _numpy_reference()
    order = np.argsort(ref["nu"], kind="stable")
    ref = {k: v[order] for k, v in ref.items()}
    assert co.n_lines == 12992 and co.molecule == "CO" and co.source == "hitran"
    np.testing.assert_allclose(co.nu_cm1, ref["nu"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(co.strength_ref * co.abundance, ref["S"], rtol=1e-12)
    np.testing.assert_allclose(co.elower_cm1, ref["El"], rtol=1e-12)
    # HITRAN gives widths and shifts per atm; LineList holds them per bar
    np.testing.assert_allclose(co.gamma_ref[:, 0], ref["gair"] / 1.01325, rtol=1e-12)
    np.testing.assert_allclose(co.n_temp[:, 0], ref["n"], rtol=1e-12)
    np.testing.assert_allclose(co.delta_ref, ref["delta"] / 1.01325, rtol=1e-12)
    np.testing.assert_allclose(co.g_upper, ref["gu"], rtol=0)
    np.testing.assert_array_equal(co.isotope, ref["iso"].astype(int))


def test_abundance_mass_and_tips(co):
    # HITRAN isotopologue parameters of 12C16O (iso 1): abundance 0.986544, mass 27.994915
    i1 = co.isotope == 1
    np.testing.assert_allclose(co.abundance[i1], 0.986544, rtol=1e-6)
    np.testing.assert_allclose(co.molmass_amu[i1], 27.994915, rtol=1e-7)
    # TIPS 2021: Q(296 K) of 12C16O = 107.42
    np.testing.assert_allclose(co.partition_function(296.0, isotope=1), 107.42, rtol=1e-3)
    with pytest.raises(ValueError, match="outside the partition-function table"):
        co.partition_function(1e5)


def test_selection_and_broadener_mixture(cache):
    sub = ld.read_hitran(
        PAR,
        nu_range=(4300.0, 4310.0),
        isotopes=[1],
        broadener={"air": 0.7, "self": 0.3},
        cache=cache,
    )
    assert np.all((sub.nu_cm1 >= 4300) & (sub.nu_cm1 <= 4310)) and np.all(sub.isotope == 1)
    assert sub.gamma_ref.shape == (sub.n_lines, 2) and sub.broadeners == ("air", "self")
    np.testing.assert_allclose(sub.broadener_fractions, [0.7, 0.3])


def test_cache_hit_equal_and_corrupt_cache_rebuilt(tmp_path):
    first = ld.read_hitran(PAR, nu_range=(4200, 4250), cache=tmp_path)
    files = list(tmp_path.glob("hitran-*.h5"))
    assert len(files) == 1
    again = ld.read_hitran(PAR, nu_range=(4200, 4250), cache=tmp_path)
    np.testing.assert_array_equal(again.strength_ref, first.strength_ref)
    files[0].write_bytes(b"not an hdf5 file")
    with pytest.warns(UserWarning, match="corrupt"):
        rebuilt = ld.read_hitran(PAR, nu_range=(4200, 4250), cache=tmp_path)
    np.testing.assert_array_equal(rebuilt.nu_cm1, first.nu_cm1)
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_cache_bit_flip_detected(tmp_path):
    """A flipped byte inside the stored arrays fails the checksum: rebuilt, not half-loaded."""
    first = ld.read_hitran(PAR, nu_range=(4200, 4250), cache=tmp_path)
    (path,) = tmp_path.glob("hitran-*.h5")
    with h5py.File(path, "r") as h5:
        offset = h5["blob"].id.get_chunk_info(0).byte_offset
    data = bytearray(path.read_bytes())
    data[offset + 16] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="corrupt"):
        rebuilt = ld.read_hitran(PAR, nu_range=(4200, 4250), cache=tmp_path)
    np.testing.assert_array_equal(rebuilt.nu_cm1, first.nu_cm1)


def test_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ld.read_hitran(tmp_path / "missing.par")
    trunc = tmp_path / "trunc.par.bz2"
    trunc.write_bytes(PAR.read_bytes()[:5000])
    with pytest.raises(ld.DataFileError, match="truncated or corrupt bz2"):
        ld.read_hitran(trunc, cache=False)
    lines = bz2.decompress(PAR.read_bytes()).decode().splitlines()[:20]
    lines[6] = lines[6][:100]
    bad = tmp_path / "bad.par"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ld.DataFileError, match=r"bad.par, line 7: HITRAN records are 160"):
        ld.read_hitran(bad, cache=False)
    with pytest.raises(ValueError, match="no lines of"):
        ld.read_hitran(PAR, nu_range=(100.0, 200.0), cache=False)
    with pytest.raises(ValueError, match=r"unknown broadener \['H2'\]"):
        ld.read_hitran(PAR, broadener="H2", cache=False)
    with pytest.raises(ValueError, match="nu_range must be"):
        ld.read_hitran(PAR, nu_range=(4400, 4100), cache=False)
