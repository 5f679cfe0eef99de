import numpy as np
import pytest

from jaxstro import linedb as ld


def test_hitran_layout_and_borysow_table_agree():
    cia = ld.read_cia(ld.datasets.sample_path("h2h2_cia"))
    dat = ld.read_cia(ld.datasets.sample_path("h2h2_cia_dat"))
    assert cia.pair == "H2-H2" and dat.pair == "H2-H2"
    assert cia.coeff.shape == (20, 824) and np.all(np.diff(cia.t_k) > 0)
    np.testing.assert_allclose(cia.t_k, dat.t_k)
    np.testing.assert_allclose(cia.nu_cm1, dat.nu_cm1)
    # the .cia file stores 4 significant digits of (table / Loschmidt^2)
    big = dat.coeff > 1e-60
    np.testing.assert_allclose(cia.coeff[big], dat.coeff[big], rtol=1e-3)


def test_single_block_fixture():
    t = ld.read_cia(ld.datasets.sample_path("h2h2_cia_test"))
    assert t.coeff.shape == (1, 100) and t.t_k.tolist() == [200.0]
    np.testing.assert_allclose(t.coeff[0, 0], 3.243e-45)


def test_blocks_on_different_grids_are_merged(tmp_path):
    f = tmp_path / "two.cia"
    f.write_text(
        "   X-X  100.0 102.0  3  100.0 1e-45 -.999\n 100.0 1e-45\n 101.0 2e-45\n 102.0 3e-45\n"
        "   X-X  101.0 103.0  2  200.0 1e-45 -.999\n 101.0 4e-45\n 103.0 6e-45\n"
    )
    t = ld.read_cia(f)
    np.testing.assert_allclose(t.nu_cm1, [100, 101, 102, 103])
    np.testing.assert_allclose(t.coeff, [[1e-45, 2e-45, 3e-45, 0], [0, 4e-45, 5e-45, 6e-45]])


def test_truncated_and_malformed(tmp_path):
    text = ld.datasets.sample_path("h2h2_cia_test").read_text().splitlines()
    f = tmp_path / "t.cia"
    f.write_text("\n".join(text[:50]))
    with pytest.raises(ld.DataFileError, match="announces 100 rows but only 49"):
        ld.read_cia(f)
    f.write_text("@TEMPERATURES\n 100 200\n@DATA\n 10 1e-8\n")
    with pytest.raises(ld.DataFileError, match="must have 3 columns"):
        ld.read_cia(f)
    with pytest.raises(FileNotFoundError):
        ld.read_cia(tmp_path / "none.cia")


def test_descending_input_is_sorted(tmp_path):
    """Issue 10 #7: descending wavenumbers gave all-zero coefficients (HITRAN layout) or an
    unsorted container (Borysow layout); the container is ascending in both axes."""
    f = tmp_path / "desc.cia"
    f.write_text(
        "   X-X  100.0 102.0  3  200.0 1e-45 -.999\n 102.0 3e-45\n 101.0 2e-45\n 100.0 1e-45\n"
        "   X-X  100.0 102.0  3  100.0 1e-45 -.999\n 100.0 4e-45\n 101.0 5e-45\n 102.0 6e-45\n"
    )
    t = ld.read_cia(f)
    np.testing.assert_allclose(t.nu_cm1, [100, 101, 102])
    np.testing.assert_allclose(t.t_k, [100, 200])
    np.testing.assert_allclose(t.coeff, [[4e-45, 5e-45, 6e-45], [1e-45, 2e-45, 3e-45]])
    b = tmp_path / "desc.dat"
    b.write_text("@SPECIES\nX X\n@TEMPERATURES\n 300 100\n@DATA\n 20 3e-8 1e-8\n 10 4e-8 2e-8\n")
    t = ld.read_cia(b)
    np.testing.assert_allclose(t.nu_cm1, [10, 20])
    np.testing.assert_allclose(t.t_k, [100, 300])
    np.testing.assert_allclose(t.coeff * ld.LOSCHMIDT_CM3**2, [[2e-8, 1e-8], [4e-8, 3e-8]])
    b.write_text("@TEMPERATURES\n 100 100\n@DATA\n 10 1e-8 1e-8\n")
    with pytest.raises(ld.DataFileError, match="repeated"):
        ld.read_cia(b)
