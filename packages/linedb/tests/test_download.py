import functools
import http.server
import threading

import pytest

from jaxstro import linedb as ld


@pytest.fixture(scope="module")
def server():
    """A local HTTP server on 127.0.0.1 serving the packaged samples."""
    root = ld.datasets.sample_path("co_exomol").parents[2]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_exomol_and_read(server, tmp_path):
    base = f"{server}"
    for name in [
        "12C-16O__SAMPLE.def",
        "12C-16O__SAMPLE.pf.bz2",
        "12C-16O__SAMPLE.states.bz2",
        "12C-16O__SAMPLE.trans.bz2",
        "12C-16O__H2.broad",
    ]:
        url = ld.exomol_url("CO", "12C-16O", "SAMPLE", name, base=base)
        path = ld.download(url, tmp_path, progress=False)
        assert path.read_bytes() == (ld.datasets.sample_path("co_exomol") / name).read_bytes()
    with pytest.warns(UserWarning):
        lines = ld.read_exomol(tmp_path, cache=False)
    assert lines.n_lines == 259
    assert not list(tmp_path.glob("*.part"))


def test_download_cia_and_hitemp_urls(server, tmp_path):
    url = ld.hitran_cia_url("H2-H2_TEST.cia", base=server).replace("/data/CIA", "/cia")
    t = ld.read_cia(ld.download(url, tmp_path / "x.cia", progress=False))
    assert t.coeff.shape == (1, 100)
    assert ld.hitemp_url("05_HITEMP2019.par.bz2").startswith("https://hitran.org/files/HITEMP/")


def test_missing_file_and_offline_fail_clearly(server, tmp_path):
    with pytest.raises(ld.DownloadError, match="HTTP 404"):
        ld.download(f"{server}/nothing.def", tmp_path, progress=False)
    # a closed port on localhost: the same failure mode as having no network
    with pytest.raises(ld.DownloadError, match="offline or the host is unreachable"):
        ld.download("http://127.0.0.1:9/x.def", tmp_path, timeout=2, progress=False)
    assert not list(tmp_path.iterdir())


def test_trailing_separator_means_folder(server, tmp_path):
    """download(url, "newdir/") puts the file into newdir (it used to write a file "newdir")."""
    url = ld.hitran_cia_url("H2-H2_TEST.cia", base=server).replace("/data/CIA", "/cia")
    path = ld.download(url, str(tmp_path / "newdir") + "/", progress=False)
    assert path == tmp_path / "newdir" / "H2-H2_TEST.cia"
    assert path.read_bytes() == (ld.datasets.sample_path("h2h2_cia_test")).read_bytes()
