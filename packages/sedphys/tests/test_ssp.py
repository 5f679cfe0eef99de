import h5py
import numpy as np
import pytest

from jaxstro import sedphys as sp


def test_packaged_grid_shapes_and_units(ssp):
    n_met, n_age, n_wave = ssp.flux.shape
    assert (n_met, n_age, n_wave) == (7, 221, 1052)
    assert ssp.wave_aa.shape == (n_wave,) and ssp.lg_age_gyr.shape == (n_age,)
    assert ssp.surviving_mass_frac.shape == (n_met, n_age)
    assert ssp.wave_aa[0] == pytest.approx(900.0) and ssp.wave_aa[-1] == pytest.approx(
        29903.4, 1e-4
    )
    # BC03 metallicities are absolute, Z_sun = 0.02 is on the grid
    assert np.any(np.isclose(ssp.lgmet, np.log10(sp.Z_SUN)))
    # surviving mass falls with age (mass loss), starts at 1
    assert np.all(ssp.surviving_mass_frac[:, 0] > 0.99)
    assert np.all(ssp.surviving_mass_frac[:, -1] < ssp.surviving_mass_frac[:, 0])


def test_packaged_grid_equals_shared_copy(ssp):
    """The packaged grid is bit-for-bit the original in ../shared: every dataset's SHA-256
    against data/ssp_digest.json (made from the shared file by data/make_ssp_digest.py), so
    this runs without ../shared; load_ssp returns those arrays exactly (cast to float64). Where
    ../shared is beside the checkout the two files are also compared directly."""
    import importlib.util
    import json
    import pathlib

    here = pathlib.Path(__file__).parent
    spec = importlib.util.spec_from_file_location(
        "make_ssp_digest", here / "data" / "make_ssp_digest.py"
    )
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    want = json.loads((here / "data" / "ssp_digest.json").read_text())["datasets"]
    assert maker.digest(sp.default_ssp_path()) == want
    with h5py.File(sp.default_ssp_path()) as h5:
        raw = {k: h5[k][()] for k in h5}
    for name, got in [
        ("ssp_wave", ssp.wave_aa),
        ("ssp_lg_age_gyr", ssp.lg_age_gyr),
        ("ssp_lgmet", ssp.lgmet),
        ("ssp_flux", ssp.flux),
        ("ssp_surviving_mass_frac", ssp.surviving_mass_frac),
    ]:
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, raw[name].astype(np.float64), err_msg=name)
    shared = here.parents[2] / ".." / "shared" / "data" / "ssp" / "ssp_bc03_miles_kroupa.h5"
    if shared.exists():
        with h5py.File(shared) as h5:
            for name, a in raw.items():
                np.testing.assert_array_equal(a, h5[name][()], err_msg=name)


def _write(path, ssp, drop=(), **override):
    arrays = {
        "ssp_wave": ssp.wave_aa,
        "ssp_lg_age_gyr": ssp.lg_age_gyr,
        "ssp_lgmet": ssp.lgmet,
        "ssp_flux": ssp.flux,
        "ssp_surviving_mass_frac": ssp.surviving_mass_frac,
    }
    attrs = override.pop("attrs", {})
    arrays.update(override)
    with h5py.File(path, "w") as h5:
        for k, v in arrays.items():
            if k not in drop:
                h5[k] = v
        h5.attrs.update(attrs)
    return path


def test_dsps_layout_loads_with_warning(ssp, tmp_path):
    path = _write(tmp_path / "dsps.h5", ssp, drop=("ssp_surviving_mass_frac",))
    with pytest.warns(UserWarning, match="surviving"):
        grid = sp.load_ssp(path)
    np.testing.assert_array_equal(grid.flux, ssp.flux)
    assert np.all(grid.surviving_mass_frac == 1.0)


def test_bad_files(ssp, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sp.load_ssp(tmp_path / "missing.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5"):
        sp.load_ssp(bad)
    with pytest.raises(ValueError, match="ssp_flux has shape"):
        sp.load_ssp(_write(tmp_path / "a.h5", ssp, ssp_flux=ssp.flux[:, :, :-1]))
    with pytest.raises(ValueError, match="lacks dataset"):
        sp.load_ssp(_write(tmp_path / "b.h5", ssp, drop=("ssp_lgmet",)))
    with pytest.raises(ValueError, match="strictly increasing"):
        sp.load_ssp(_write(tmp_path / "c.h5", ssp, ssp_lg_age_gyr=ssp.lg_age_gyr[::-1]))
    with pytest.raises(ValueError, match="erg/s/Hz"):
        sp.load_ssp(_write(tmp_path / "d.h5", ssp, ssp_flux=ssp.flux * sp.L_SUN_ERG_S))
    with pytest.raises(ValueError, match="flux_units"):
        sp.load_ssp(_write(tmp_path / "e.h5", ssp, attrs={"flux_units": "erg/s/A"}))
    with pytest.raises(ValueError, match="wave_units"):
        sp.load_ssp(_write(tmp_path / "f.h5", ssp, attrs={"wave_units": "micron"}))
    with pytest.raises(ValueError, match="ssp_wave spans"):
        sp.load_ssp(_write(tmp_path / "g.h5", ssp, ssp_wave=ssp.wave_aa * 1e-4))
    with pytest.raises(ValueError, match="surviving_mass_frac"):
        sp.load_ssp(
            _write(tmp_path / "h.h5", ssp, ssp_surviving_mass_frac=ssp.surviving_mass_frac[:, :-1])
        )
