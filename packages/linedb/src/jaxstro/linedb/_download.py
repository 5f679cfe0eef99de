"""Download helpers for ExoMol, HITEMP and HITRAN-CIA files (fail clearly when offline).

Networking uses only the standard library. Files are written to a temporary name (with the
permissions of an ordinary new file) and moved into place atomically; an existing complete file
is not downloaded again.
"""

from __future__ import annotations

import http.client
import math
import os
import pathlib
import posixpath
import shutil
import urllib.error
import urllib.parse
import urllib.request

from jaxstro.linedb._io import create_temp

__all__ = [
    "exomol_url",
    "hitemp_url",
    "hitran_cia_url",
    "download",
    "DownloadError",
    "EXOMOL_BASE",
    "HITRAN_BASE",
]

EXOMOL_BASE = "https://www.exomol.com/db"
HITRAN_BASE = "https://hitran.org"
_SCHEMES = ("http", "https", "ftp", "file")


class DownloadError(OSError):
    """A database file could not be fetched (offline, unknown file, server error)."""


def exomol_url(
    molecule: str, iso_slug: str, dataset: str, filename: str, *, base: str = EXOMOL_BASE
) -> str:
    """URL of an ExoMol file.

    Example: ``exomol_url("CO", "12C-16O", "Li2015", "12C-16O__Li2015.def")``.

    Parameters
    ----------
    molecule : str
        Molecule folder on ExoMol, e.g. "CO".
    iso_slug : str
        Isotopologue folder, e.g. "12C-16O".
    dataset : str
        Line-list name, e.g. "Li2015".
    filename : str
        File in the dataset folder, e.g. "12C-16O__Li2015.def".
    base : str
        Root of the ExoMol database (``EXOMOL_BASE``; a mirror may be given).

    Returns
    -------
    str
        ``{base}/{molecule}/{iso_slug}/{dataset}/{filename}``.
    """
    return f"{base}/{molecule}/{iso_slug}/{dataset}/{filename}"


def hitemp_url(filename: str, *, base: str = HITRAN_BASE) -> str:
    """URL of a HITEMP file, e.g. ``hitemp_url("05_HITEMP2019.par.bz2")`` (HITRAN login needed).

    Parameters
    ----------
    filename : str
        File name in HITEMP's bzip2 folder, e.g. "05_HITEMP2019.par.bz2".
    base : str
        Root of the HITRAN site (``HITRAN_BASE``).

    Returns
    -------
    str
        ``{base}/files/HITEMP/bzip2format/{filename}``.
    """
    return f"{base}/files/HITEMP/bzip2format/{filename}"


def hitran_cia_url(filename: str, *, base: str = HITRAN_BASE) -> str:
    """URL of a HITRAN CIA file, e.g. ``hitran_cia_url("H2-H2_2011.cia")``.

    Parameters
    ----------
    filename : str
        File name in HITRAN's CIA folder, e.g. "H2-H2_2011.cia".
    base : str
        Root of the HITRAN site (``HITRAN_BASE``).

    Returns
    -------
    str
        ``{base}/data/CIA/{filename}``.
    """
    return f"{base}/data/CIA/{filename}"


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    timeout: float = 30.0,
    overwrite: bool = False,
    progress: bool = True,
) -> pathlib.Path:
    """Fetch ``url`` to ``dest`` (a file path or a folder) and return the file path.

    The file is written under a temporary name in the destination folder and moved into
    place when complete; an existing file is kept unless ``overwrite``.

    Parameters
    ----------
    url : str
        What to fetch (e.g. from ``exomol_url``).
    dest : str or os.PathLike
        Target file, or an existing folder to put the file in under the URL's last
        component. Missing parent folders of a target file are created (a folder that does
        not exist yet is taken as a file name, even with a trailing separator).
    timeout : float
        Seconds to wait for the connection and for each read [s].
    overwrite : bool
        Download again even if the target file exists.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pathlib.Path
        Path of the downloaded (or already present) file.

    Raises
    ------
    ValueError
        If ``url`` is empty or not a string, its scheme is not http, https, ftp or file,
        it names no file while ``dest`` is a folder, or ``timeout`` is not finite and > 0.
    DownloadError
        Naming the URL and the reason: no network or host unreachable, no answer or a
        transfer stalled for ``timeout`` seconds (the message gives the timeout), an HTTP
        error status, a broken connection, or a transfer shorter than the announced
        Content-Length.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"url must be a non-empty URL string; got {url!r}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        what = f"the unsupported scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ValueError(
            f"url {url!r} has {what}: download fetches {', '.join(s + '://' for s in _SCHEMES)} "
            "URLs"
        )
    timeout = float(timeout)
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a finite number of seconds > 0; got {timeout}")
    # a trailing separator means "into this folder" (pathlib drops it, so test the raw string)
    raw = os.fspath(dest)
    dest = pathlib.Path(dest)
    if dest.is_dir() or raw.endswith(("/", os.sep)):
        name = posixpath.basename(urllib.parse.unquote(parts.path).rstrip("/"))
        if not name:
            raise ValueError(
                f"url {url!r} names no file to save into the folder {raw!r}; pass a file path "
                "as dest"
            )
        dest = dest / name
    if dest.exists() and not overwrite:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        resp = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - user-given database URL
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
            raise DownloadError(
                f"cannot download {url}: no answer within timeout={timeout:g} s; the host is "
                "slow or unreachable (retry, or pass a larger timeout)"
            ) from exc
        raise DownloadError(
            f"cannot download {url}: {reason}. The machine seems to be offline or the host is "
            f"unreachable; download the file elsewhere and pass its local path instead"
        ) from exc
    total = int(resp.headers.get("Content-Length") or 0)
    fd, tmp = create_temp(dest.parent, dest.name + ".", ".part")
    bar = None
    try:
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total or None, unit="B", unit_scale=True, desc=dest.name, leave=False)
        got = 0
        with os.fdopen(fd, "wb") as fh, resp:
            while True:
                try:
                    chunk = resp.read(1 << 20)
                except TimeoutError as exc:
                    raise DownloadError(
                        f"download of {url} stalled: no data for timeout={timeout:g} s after "
                        f"{got} of {total or 'unknown'} bytes (retry, or pass a larger timeout)"
                    ) from exc
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadError(
                        f"download of {url} broke off after {got} bytes: {exc}"
                    ) from exc
                if not chunk:
                    break
                fh.write(chunk)
                got += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        size = os.path.getsize(tmp)
        if total and size != total:
            raise DownloadError(f"download of {url} is incomplete: {size} of {total} bytes")
        shutil.move(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        if bar is not None:
            bar.close()
    return dest
