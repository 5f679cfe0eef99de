"""Issue 10 reproducers for linedb: no silently wrong table from an imperfect file or call.

Each test builds the imperfect input in tmp_path from the packaged samples and checks that the
reader gives the clean result or a DataFileError naming the file and line.
"""

import bz2
import contextlib
import functools
import http.server
import os
import shutil
import socket
import threading
import time
import warnings

import numpy as np
import pytest

from jaxstro import linedb as ld

CO = ld.datasets.sample_path("co_exomol")
H2O = ld.datasets.sample_path("h2o_exomol")
PAR = ld.datasets.sample_path("co_hitemp")
PREFIX = "12C-16O__SAMPLE"


def _copy_co(tmp_path, plain=()):
    """The CO ExoMol sample copied to tmp_path/CO; files named in ``plain`` decompressed."""
    folder = tmp_path / "CO"
    folder.mkdir()
    for f in CO.iterdir():
        if f.name.removesuffix(".bz2") in plain:
            (folder / f.name.removesuffix(".bz2")).write_bytes(bz2.decompress(f.read_bytes()))
        else:
            shutil.copy2(f, folder / f.name)
    return folder


def _read_co(folder, **kw):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*beyond the H2 .broad table")
        return ld.read_exomol(folder, cache=False, **kw)


@functools.cache
def _co_clean():
    return _read_co(CO)


def _assert_same(a, b):
    for name in a._fields:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            assert x == y, name


# --- issue 10 #3: .trans and .trans.bz2 side by side were both read (lines doubled) ---------


def test_exomol_plain_and_bz2_of_one_file_read_once(tmp_path):
    folder = _copy_co(tmp_path)
    packed = folder / f"{PREFIX}.trans.bz2"
    plain = folder / f"{PREFIX}.trans"
    plain.write_bytes(bz2.decompress(packed.read_bytes()))
    st = packed.stat()
    os.utime(plain, ns=(st.st_atime_ns, st.st_mtime_ns))  # what `bunzip2 -k` leaves
    with pytest.warns(UserWarning, match=rf"reading {PREFIX}\.trans \(it is at least as new\)"):
        lines = _read_co(folder)
    assert lines.n_lines == 259  # was 518
    _assert_same(lines, _co_clean())
    assert ld.exomol_files(folder)["trans"] == [plain]
    # a newer .bz2 (downloaded again) is the one read
    os.utime(packed, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.warns(UserWarning, match=rf"reading {PREFIX}\.trans\.bz2 \(it is newer\)"):
        assert ld.exomol_files(folder)["trans"] == [packed]
    # the same rule for .states and .pf
    (folder / f"{PREFIX}.states").write_bytes(
        bz2.decompress((folder / f"{PREFIX}.states.bz2").read_bytes())
    )
    with pytest.warns(UserWarning, match=rf"reading {PREFIX}\.states "):
        assert ld.exomol_files(folder)["states"] == folder / f"{PREFIX}.states"


def test_exomol_whole_and_split_transition_files_rejected(tmp_path):
    folder = _copy_co(tmp_path)
    shutil.copy(folder / f"{PREFIX}.trans.bz2", folder / f"{PREFIX}__04300-04400.trans.bz2")
    with pytest.raises(ld.DataFileError, match="both the whole transition file"):
        ld.read_exomol(folder, cache=False)
    # a partial download or a backup copy is not a transition file
    (folder / f"{PREFIX}__04300-04400.trans.bz2").rename(folder / f"{PREFIX}.trans.bz2.part")
    _assert_same(_read_co(folder), _co_clean())


def test_exomol_overlapping_split_files_and_duplicate_lines_rejected(tmp_path):
    folder = tmp_path / "H2O"
    shutil.copytree(H2O, folder)
    src = folder / "1H2-16O__SAMPLE__04300-04400.trans.bz2"
    shutil.copy(src, folder / "1H2-16O__SAMPLE__04350-04450.trans.bz2")
    with pytest.raises(ld.DataFileError, match="overlapping wavenumber ranges"):
        ld.read_exomol(folder, cache=False)
    # the same lines under a disjoint range: each transition listed twice
    (folder / "1H2-16O__SAMPLE__04350-04450.trans.bz2").rename(
        folder / "1H2-16O__SAMPLE__04400-04500.trans.bz2"
    )
    with pytest.raises(
        ld.DataFileError, match=r"04400-04500\.trans\.bz2, line 1: transition .* listed twice"
    ):
        ld.read_exomol(folder, cache=False)


# --- issue 10 #4: a .states row with a missing column shifted the columns silently ----------


def _edit_line(path, lineno, edit):
    text = path.read_text().split("\n")
    text[lineno - 1] = edit(text[lineno - 1])
    path.write_text("\n".join(text))


def test_exomol_states_row_with_missing_or_extra_column(tmp_path):
    folder = _copy_co(tmp_path, plain=[f"{PREFIX}.states"])
    states = folder / f"{PREFIX}.states"
    original = states.read_text()
    _edit_line(states, 10, lambda s: " ".join(s.split()[:2] + s.split()[3:]))  # drop g
    with pytest.raises(
        ld.DataFileError,
        match=rf"{PREFIX}\.states, line 10: 5 columns where the ExoMol \.states rows have 6",
    ):
        ld.read_exomol(folder, cache=False)
    states.write_text(original)
    _edit_line(states, 300, lambda s: s + " 7")
    with pytest.raises(ld.DataFileError, match=r"\.states, line 300: 7 columns .* have 6"):
        ld.read_exomol(folder, cache=False)
    # a state id twice, a non-integer degeneracy
    states.write_text(original)
    first = original.split("\n")[0]
    states.write_text(original + first + "\n")
    with pytest.raises(ld.DataFileError, match=r"\.states, line 517: state id 30 appears twice"):
        ld.read_exomol(folder, cache=False)
    states.write_text(original)
    _edit_line(states, 4, lambda s: s.replace(s.split()[2], "2.5", 1))
    with pytest.raises(ld.DataFileError, match=r"\.states, line 4: degeneracy g"):
        ld.read_exomol(folder, cache=False)


def test_exomol_trans_garbage_and_short_rows(tmp_path):
    folder = _copy_co(tmp_path, plain=[f"{PREFIX}.trans"])
    trans = folder / f"{PREFIX}.trans"
    original = trans.read_text()
    _edit_line(trans, 5, lambda s: "garbage line from a broken copy")
    with pytest.raises(ld.DataFileError, match=rf"{PREFIX}\.trans, line 5: 6 columns"):
        ld.read_exomol(folder, cache=False)
    trans.write_text(original)
    _edit_line(trans, 5, lambda s: "x" + s)
    with pytest.raises(ld.DataFileError, match=r"\.trans, line 5: i_upper .* is not a number"):
        ld.read_exomol(folder, cache=False)
    trans.write_text(original)
    _edit_line(trans, 7, lambda s: "\t".join(s.split()[:2]))
    with pytest.raises(ld.DataFileError, match=r"\.trans, line 7: 2 columns"):
        ld.read_exomol(folder, cache=False)
    trans.write_text(original[:-5])  # cut in the middle of the last line
    with pytest.raises(ld.DataFileError, match=r"\.trans, line 259: the file ends in the middle"):
        ld.read_exomol(folder, cache=False)
    trans.write_text(original)
    _edit_line(trans, 8, lambda s: "\t".join([s.split()[1], s.split()[0], *s.split()[2:]]))
    with pytest.raises(ld.DataFileError, match=r"\.trans, line 8: upper state .* lies below"):
        ld.read_exomol(folder, cache=False)


def test_exomol_malformed_pf_reported_under_the_users_path(tmp_path):
    folder = _copy_co(tmp_path)
    pf = folder / f"{PREFIX}.pf.bz2"
    text = bz2.decompress(pf.read_bytes()).decode().split("\n")
    text[2] = "     3.0          abc"
    pf.write_bytes(bz2.compress("\n".join(text).encode()))
    with pytest.raises(ld.DataFileError, match=rf"{pf}, line 3: Q \(column 2\) 'abc'"):
        ld.read_exomol(folder, cache=False)
    text[2] = "     3.0          -1.0"
    pf.write_bytes(bz2.compress("\n".join(text).encode()))
    with pytest.raises(ld.DataFileError, match=rf"{pf}, line 3: Q -1.0 is not finite and > 0"):
        ld.read_exomol(folder, cache=False)


def test_exomol_malformed_def_and_broad(tmp_path):
    folder = _copy_co(tmp_path)
    deff = folder / f"{PREFIX}.def"
    original = deff.read_text()
    _edit_line(deff, 3, lambda s: "no comment marker on this line")
    with pytest.raises(ld.DataFileError, match=rf"{PREFIX}\.def, line 3: not a 'value # desc"):
        ld.read_exomol(folder, cache=False)
    deff.write_text(original.replace("0.0700 ", "0.07x0 "))
    with pytest.raises(ld.DataFileError, match=r"\.def, line 45: Default value of Lorentzian"):
        ld.read_exomol(folder, cache=False)
    deff.write_text(original)
    broad = folder / "12C-16O__H2.broad"
    _edit_line(broad, 2, lambda s: "a0 0.07x 0.5 1")
    with pytest.raises(ld.DataFileError, match=r"H2\.broad, line 2: a field of this a0 row"):
        ld.read_exomol(folder, cache=False)
    _edit_line(broad, 2, lambda s: "a0 0.07 0.5")
    with pytest.raises(ld.DataFileError, match=r"H2\.broad, line 2: 3 columns where a0 rows"):
        ld.read_exomol(folder, cache=False)


# --- issue 10 #5: a negative or non-finite HITRAN intensity made every point NaN ------------


def _par_lines(n=30):
    return bz2.decompress(PAR.read_bytes()).decode().split("\n")[:n]


def _write_par(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("value", ["-1.000E-25", "       NaN", "       inf"])
def test_hitran_negative_or_nonfinite_intensity(tmp_path, value):
    lines = _par_lines()
    clean = ld.read_hitran(_write_par(tmp_path / "clean.par", lines[:4] + lines[5:]), cache=False)
    lines[4] = lines[4][:15] + value + lines[4][25:]
    bad = _write_par(tmp_path / "bad.par", lines)
    with pytest.raises(ld.DataFileError, match=r"bad\.par, line 5: intensity .* bad_lines='drop'"):
        ld.read_hitran(bad, cache=False)
    with pytest.warns(UserWarning, match=r"dropped 1 of 30 records of .*bad\.par .*line 5"):
        dropped = ld.read_hitran(bad, cache=False, bad_lines="drop")
    _assert_same(dropped, clean)
    # the warning comes back on a cached read
    ld.read_hitran(bad, cache=tmp_path / "c", bad_lines="drop")
    with pytest.warns(UserWarning, match="dropped 1 of 30"):
        ld.read_hitran(bad, cache=tmp_path / "c", bad_lines="drop")
    with pytest.raises(ValueError, match="bad_lines must be one of"):
        ld.read_hitran(bad, cache=False, bad_lines="ignore")


def test_hitran_malformed_content(tmp_path):
    empty = tmp_path / "empty.par"
    empty.write_text("")
    with pytest.raises(ld.DataFileError, match=r"empty\.par holds no HITRAN records"):
        ld.read_hitran(empty, cache=False)
    lines = _par_lines()
    lines[6] = lines[6][:35] + "0.0x5" + lines[6][40:]
    bad = _write_par(tmp_path / "gamma.par", lines)
    with pytest.raises(ld.DataFileError, match=r"gamma\.par, line 7: malformed air width"):
        ld.read_hitran(bad, cache=False)
    lines = _par_lines()
    lines[3] = lines[3][:35] + "-.045" + lines[3][40:]
    with pytest.raises(ld.DataFileError, match=r"line 4: air width -0.045 is outside its domain"):
        ld.read_hitran(_write_par(tmp_path / "neg.par", lines), cache=False)
    lines = _par_lines()
    lines[2] = " 5X" + lines[2][3:]
    with pytest.raises(ld.DataFileError, match=r"line 3: malformed molecule/isotopologue id"):
        ld.read_hitran(_write_par(tmp_path / "iso.par", lines), cache=False)
    lines = _par_lines()
    lines[9] = " 1" + lines[9][2:]
    with pytest.raises(ld.DataFileError, match=r"line 10: molecule 1 after molecule 5"):
        ld.read_hitran(_write_par(tmp_path / "mix.par", lines), cache=False)


# --- CIA: a NaN inside a row ------------------------------------------------------------------


def test_cia_nan_in_row_and_malformed_borysow(tmp_path):
    text = ld.datasets.sample_path("h2h2_cia_test").read_text().split("\n")
    text[5] = " 4304.0000        NaN"
    f = tmp_path / "nan.cia"
    f.write_text("\n".join(text))
    with pytest.raises(ld.DataFileError, match=r"nan\.cia, line 6: CIA data row holds NaN"):
        ld.read_cia(f)
    text[5] = " 4304.0000  2.xE-45"
    f.write_text("\n".join(text))
    with pytest.raises(ld.DataFileError, match=r"nan\.cia, line 6: malformed CIA data row"):
        ld.read_cia(f)
    b = tmp_path / "t.dat"
    b.write_text("@TEMPERATURES\n 100 200\n@DATA\n 10 1e-8 2e-8\n 20 nan 2e-8\n")
    with pytest.raises(ld.DataFileError, match=r"t\.dat, line 5: @DATA row holds NaN"):
        ld.read_cia(b)
    b.write_text("@TEMPERATURES\n 100 200\n@DATA\n 10 1e-8 2e-8\n 20 1e-8 x\n")
    with pytest.raises(ld.DataFileError, match=r"t\.dat, line 5: malformed @DATA row"):
        ld.read_cia(b)
    b.write_text("@TEMPERATURES\n 100 200\n@DATA\n 10 1e-8 2e-8\n@NOTES\n 20 1e-8 2e-8\n")
    with pytest.raises(ld.DataFileError, match=r"t\.dat, line 5: unknown section '@NOTES'"):
        ld.read_cia(b)


def test_cia_cut_mid_line_without_final_newline(tmp_path):
    text = ld.datasets.sample_path("h2h2_cia_test").read_text()
    assert not text.endswith("\n")  # the HITRAN file has no final line end
    f = tmp_path / "cut.cia"
    f.write_text(text[:-3])  # 2.477E-45 -> 2.477E-4 would be a 1e41 times larger value
    with pytest.raises(ld.DataFileError, match=r"cut\.cia, line 101: the file ends in the mid"):
        ld.read_cia(f)
    f.write_text(text)
    np.testing.assert_array_equal(
        ld.read_cia(f).coeff, ld.read_cia(ld.datasets.sample_path("h2h2_cia_test")).coeff
    )


# --- LineList.partition_function -------------------------------------------------------------


def test_partition_function_nan_and_unknown_isotope():
    co = _co_clean()
    with pytest.raises(ValueError, match=r"t_k=nan lies outside .* must be a finite number"):
        co.partition_function(np.nan)
    with pytest.raises(ValueError, match=r"t_k=inf"):
        co.partition_function([300.0, np.inf])
    with pytest.raises(ValueError, match=r"isotope=7 is not an isotopologue .* \[1\]"):
        co.partition_function(300.0, isotope=7)
    with pytest.raises(IndexError):  # what linedb 0.2.0 raised
        co.partition_function(300.0, isotope=7)
    np.testing.assert_allclose(co.partition_function(296.0, isotope=1), co.partition_function(296))


# --- cache paths and permissions ---------------------------------------------------------------


@contextlib.contextmanager
def _umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_cache_path_errors_name_the_path(tmp_path):
    lines = _par_lines()
    par = _write_par(tmp_path / "x.par", lines)
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("mine")
    with pytest.raises(NotADirectoryError, match=r"cache folder .*notes\.txt' is an existing file"):
        ld.read_hitran(par, cache=not_a_folder)
    assert not_a_folder.read_text() == "mine"
    folder = tmp_path / "c"
    ld.read_hitran(par, cache=folder)
    (entry,) = folder.glob("hitran-*.h5")
    entry.unlink()
    entry.mkdir()
    with pytest.raises(IsADirectoryError, match=rf"{entry.name}' is a folder, not a linedb cache"):
        ld.read_hitran(par, cache=folder)


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_cache_files_follow_the_umask(tmp_path, mask):
    par = _write_par(tmp_path / "x.par", _par_lines())
    with _umask(mask):
        ld.read_hitran(par, cache=tmp_path / "c")
    (entry,) = (tmp_path / "c").glob("hitran-*.h5")
    assert entry.stat().st_mode & 0o777 == 0o666 & ~mask  # was 0o600
    assert not list((tmp_path / "c").glob("*.tmp"))


# --- downloads -----------------------------------------------------------------------------------


class _Stall(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"x" * 100)
        self.wfile.flush()
        time.sleep(1.5)

    def log_message(self, *args):
        pass


def test_download_stall_scheme_and_empty_url(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stall)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/big.trans.bz2"
    try:
        with pytest.raises(ld.DownloadError, match=r"big\.trans\.bz2 stalled: .*timeout=0\.3 s"):
            ld.download(url, tmp_path, timeout=0.3, progress=False)
    finally:
        httpd.shutdown()
    assert not list(tmp_path.iterdir())
    # a server that accepts the connection and never answers
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        url = f"http://127.0.0.1:{srv.getsockname()[1]}/x.def"
        with pytest.raises(ld.DownloadError, match=r"x\.def: no answer within timeout=0\.3 s"):
            ld.download(url, tmp_path, timeout=0.3, progress=False)
    with pytest.raises(ValueError, match="url must be a non-empty URL"):
        ld.download("", tmp_path)  # returned the folder
    with pytest.raises(ValueError, match=r"unsupported scheme 'ftpx'"):
        ld.download("ftpx://example.org/a.def", tmp_path)  # said "seems offline"
    with pytest.raises(ValueError, match=r"names no file"):
        ld.download("http://127.0.0.1:9/", tmp_path)
    with pytest.raises(ValueError, match=r"timeout must be"):
        ld.download("http://127.0.0.1:9/a.def", tmp_path, timeout=0)


def test_downloaded_file_follows_the_umask(tmp_path):
    src = tmp_path / "src.cia"
    src.write_bytes(ld.datasets.sample_path("h2h2_cia_test").read_bytes())
    with _umask(0o022):
        out = ld.download(src.as_uri(), tmp_path / "out", progress=False)
    assert out.read_bytes() == src.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o644
