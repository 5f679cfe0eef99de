"""ExoMol datasets (``.def``, ``.pf``, ``.states``, ``.trans`` incl. wavenumber-split files,
``.broad``) -> LineList.

Parsing is radis' ExoMol API (``read_def``, ``read_pf``, ``read_states``, ``read_trans``,
``read_broad``); this module selects files, decompresses with clear errors, joins states to
transitions, computes intensities at 296 K, assigns broadening per line and caches.
"""

from __future__ import annotations

import os
import pathlib
import re
import tempfile
import warnings
from collections.abc import Mapping

import numpy as np

from jaxstro.linedb._cache import cache_dir, load_cached, source_key, store_cached
from jaxstro.linedb._containers import C2_CM_K, T_REF_K, LineList
from jaxstro.linedb._hitran import _broadener_fractions, _check_nu_range, _to_linelist
from jaxstro.linedb._io import DataFileError, check_file, read_text, write_temp_copy
from jaxstro.linedb._pf import read_exomol_pf

__all__ = ["read_exomol", "exomol_files"]

READER_VERSION = 1
C_CM_S = 2.99792458e10
_SPLIT = re.compile(r"__(\d{5})-(\d{5})\.trans(\.bz2)?$")


def exomol_files(path: str | os.PathLike) -> dict:
    """Locate the files of an ExoMol dataset given its folder or its ``.def`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder (holding exactly one ``.def`` file, e.g.
        ``.../12C-16O/Li2015/``) or the ``.def`` file itself.

    Returns
    -------
    dict
        ``"def"``, ``"pf"``, ``"states"``: paths (``pathlib.Path``; the ``.pf`` and
        ``.states`` files may be ``.bz2``); ``"trans"``: sorted list of the ``.trans(.bz2)``
        paths (one, or several wavenumber-split files); ``"broad"``: ``{broadener name:
        path}`` of the ``<iso>__<name>.broad`` files (may be empty); ``"prefix"``: the dataset
        prefix, e.g. ``"12C-16O__Li2015"``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, a folder holds no or several ``.def`` files, or the
        ``.pf``, ``.states`` or ``.trans`` files are missing.
    DataFileError
        If ``path`` exists but is neither a folder nor a file.
    """
    p = pathlib.Path(path)
    if p.is_dir():
        defs = sorted(p.glob("*.def"))
        if len(defs) != 1:
            raise FileNotFoundError(
                f"ExoMol folder {str(p)!r} must hold exactly one .def file; "
                f"found {[d.name for d in defs]}"
            )
        deff = defs[0]
    else:
        deff = check_file(p, "ExoMol .def file")
    folder, prefix = deff.parent, deff.name[: -len(".def")]
    iso_slug = prefix.split("__")[0]

    def one(stem):
        for cand in (folder / stem, folder / (stem + ".bz2")):
            if cand.exists():
                return cand
        raise FileNotFoundError(f"ExoMol dataset {prefix} has no {stem}(.bz2) in {folder}")

    trans = sorted(folder.glob(prefix + "*.trans*"))
    if not trans:
        raise FileNotFoundError(f"ExoMol dataset {prefix} has no .trans files in {folder}")
    broad = {
        f.name[len(iso_slug) + 2 : -len(".broad")]: f for f in folder.glob(iso_slug + "__*.broad")
    }
    return {
        "def": deff,
        "pf": one(prefix + ".pf"),
        "states": one(prefix + ".states"),
        "trans": trans,
        "broad": broad,
        "prefix": prefix,
    }


def _trans_in_range(files, nu):
    if nu is None:
        return files
    out = []
    for f in files:
        m = _SPLIT.search(f.name)
        if m is None or (int(m.group(1)) <= nu[1] and int(m.group(2)) >= nu[0]):
            out.append(f)
    return out


def _def_broadeners(deff: pathlib.Path) -> dict:
    """Per-broadener Jmax and defaults from the .def (radis' read_def does not return them)."""
    lines = [ln.split("#", 1) for ln in deff.read_text().splitlines() if "#" in ln]
    out = {}
    for k, (val, com) in enumerate(lines):
        if "Label for a particular broadener" in com:
            try:
                jmax = float(lines[k + 2][0])
                gam = float(lines[k + 3][0])
                n = float(lines[k + 4][0])
            except (IndexError, ValueError):
                continue
            out[val.strip()] = {"jmax": jmax, "alpha": gam, "n": n}
    return out


def _plain(path: pathlib.Path, tmp: str, name: str) -> pathlib.Path:
    """A plain-text copy of a (possibly bz2) file for radis, after validating decompression."""
    if path.suffix != ".bz2":
        return path
    return write_temp_copy(read_text(path), name, tmp)


def read_exomol(
    path: str | os.PathLike,
    nu_range: tuple[float, float] | None = None,
    *,
    broadener: str | Mapping[str, float] = "H2",
    cache: bool | str | os.PathLike = True,
) -> LineList:
    """Read an ExoMol dataset into a ``LineList`` (intensities at 296 K).

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder (e.g. ``.../12C-16O/Li2015/``) or its ``.def`` file.
    nu_range : (float, float) or None
        (lower, upper) [cm^-1]: lines outside are dropped, and only transition files
        overlapping it are read. None keeps every line.
    broadener : str or Mapping[str, float]
        "H2", "He", "air" (whatever ``<iso>__<name>.broad`` files exist) or a mixture of
        volume fractions summing to 1, such as ``{"H2": 0.85, "He": 0.15}``. Lines whose J is
        beyond a ``.broad`` table get the ``.def`` defaults (with a warning). "air" without a
        file uses the ``.def`` default.
    cache : bool or str or os.PathLike
        True (``$JAXSTRO_CACHE`` or ``~/.cache/jaxstro/linedb``), a folder, or False (no
        cache).

    Returns
    -------
    LineList
        The lines with ``nu_cm1`` ascending: ``strength_ref`` [cm/molecule] at 296 K per
        molecule of the isotopologue, ``gamma_ref`` [cm^-1/bar] and ``n_temp`` of shape
        (n_lines, n_broadener) in the order of ``broadener``, ``abundance`` 1, ``pf_q`` of
        shape (1, n_T) from the ``.pf`` file, ``delta_ref`` 0.

    Raises
    ------
    FileNotFoundError
        If the dataset or one of its ``.def``, ``.pf``, ``.states``, ``.trans`` files is
        missing (see ``exomol_files``).
    DataFileError
        If a file is truncated, corrupt or malformed (bz2 errors, transitions referring to
        absent states, a ``.pf`` table not covering 296 K).
    ValueError
        If ``nu_range`` is not (lower, upper) with lower < upper, no transition file or no
        line lies in it, the partition-function file is malformed, or a broadener has no
        ``.broad`` file (except "air") or the fractions are negative or do not sum to 1.
    TypeError
        If ``broadener`` is neither a name nor a mapping.

    Warns
    -----
    UserWarning
        When lines fall back to the ``.def`` broadening defaults, and when a cache file is
        corrupt (it is rebuilt).

    Notes
    -----
    Line intensity: ``S = g' A / (8 pi c nu^2) exp(-c2 E''/T) (1 - exp(-c2 nu/T)) / Q(T)``
    at T = 296 K, per molecule of the isotopologue (ExoMol has no abundance: ``abundance=1``);
    ``A`` [s^-1], ``c`` [cm/s], ``nu`` and ``E''`` [cm^-1], ``g'`` the upper-state degeneracy.
    """
    files = exomol_files(path)
    nu = _check_nu_range(nu_range)
    available = sorted(set(files["broad"]) | {"air"})
    fractions = _broadener_fractions(broadener, available)
    trans = _trans_in_range(files["trans"], nu)
    if not trans:
        raise ValueError(f"no ExoMol transition file of {files['prefix']} overlaps nu_range={nu}")
    used = [
        files["def"],
        files["pf"],
        files["states"],
        *trans,
        *[files["broad"][b] for b in fractions if b in files["broad"]],
    ]
    key = source_key(used, "exomol", READER_VERSION, {"nu_range": nu, "broadener": fractions})
    folder = cache_dir(cache)
    hit = load_cached(folder, key)
    if hit is None:
        arrays, meta = _parse(files, trans, nu, fractions)
        store_cached(folder, key, arrays, meta)
    else:
        meta = hit.pop("__attrs__")
        arrays = hit
    for msg in meta.get("warnings", []):
        warnings.warn(msg, stacklevel=2)
    return _to_linelist(arrays, meta)


def _parse(files, trans_files, nu, fractions):
    from radis.api import exomolapi as ex

    try:
        dic_def = ex.read_def(files["def"])
    except Exception as exc:
        raise DataFileError(f"cannot parse ExoMol definition file {files['def']}: {exc}") from exc
    with tempfile.TemporaryDirectory() as tmp:
        t_pf, q_pf = read_exomol_pf(_plain(files["pf"], tmp, ".pf"))
        try:
            states = ex.read_states(_plain(files["states"], tmp, ".states"), dic_def, engine="csv")
        except DataFileError:
            raise
        except Exception as exc:
            raise DataFileError(
                f"cannot parse ExoMol states file {files['states']}: {exc}"
            ) from exc
        parts = []
        for k, f in enumerate(trans_files):
            try:
                df = ex.read_trans(_plain(f, tmp, f".{k}.trans"), engine="csv")
            except DataFileError:
                raise
            except Exception as exc:
                raise DataFileError(f"cannot parse ExoMol transition file {f}: {exc}") from exc
            parts.append(
                np.stack(
                    [
                        np.asarray(df["i_upper"], dtype=np.int64),
                        np.asarray(df["i_lower"], dtype=np.int64),
                    ],
                    axis=1,
                )
            )
            parts[-1] = (parts[-1], np.asarray(df["A"], dtype=np.float64))
    iu = np.concatenate([p[0][:, 0] for p in parts])
    il = np.concatenate([p[0][:, 1] for p in parts])
    a_ein = np.concatenate([p[1] for p in parts])
    sid = np.asarray(states["i"], dtype=np.int64)
    order = np.argsort(sid)
    sid = sid[order]
    energy = np.asarray(states["E"], dtype=np.float64)[order]
    gdeg = np.asarray(states["g"], dtype=np.float64)[order]
    jq = np.asarray(states["J"], dtype=np.float64)[order]

    def lookup(ids, what):
        pos = np.clip(np.searchsorted(sid, ids), 0, sid.size - 1)
        missing = sid[pos] != ids
        if np.any(missing):
            raise DataFileError(
                f"{int(missing.sum())} transitions refer to {what} states absent "
                f"from {files['states'].name} (first id {int(ids[missing][0])})"
            )
        return pos

    pu, pl = lookup(iu, "upper"), lookup(il, "lower")
    nu_line = energy[pu] - energy[pl]
    keep = np.isfinite(nu_line) & (nu_line > 0)
    if nu is not None:
        keep &= (nu_line >= nu[0]) & (nu_line <= nu[1])
    if not np.any(keep):
        raise ValueError(f"no ExoMol lines of {files['prefix']} in nu_range={nu} cm^-1")
    srt = np.flatnonzero(keep)[np.argsort(nu_line[keep], kind="stable")]
    nu_line, pu, pl, a_ein = nu_line[srt], pu[srt], pl[srt], a_ein[srt]
    el, gu, jl, ju = energy[pl], gdeg[pu], jq[pl], jq[pu]
    if T_REF_K < t_pf[0] or T_REF_K > t_pf[-1]:
        raise DataFileError(f"{files['pf']} does not cover T_ref = {T_REF_K} K")
    q_ref = np.interp(T_REF_K, t_pf, q_pf)
    strength = (
        gu
        * a_ein
        / (8 * np.pi * C_CM_S * nu_line**2)
        * np.exp(-C2_CM_K * el / T_REF_K)
        * -np.expm1(-C2_CM_K * nu_line / T_REF_K)
        / q_ref
    )

    def_b = _def_broadeners(files["def"])
    msgs = []
    gam_cols, n_cols = [], []
    for b in fractions:
        fallback = def_b.get(b, {"alpha": dic_def["alpha_ref"], "n": dic_def["n_Texp"]})
        gamma = np.full(nu_line.size, np.nan)
        ntemp = np.full(nu_line.size, np.nan)
        if b in files["broad"]:
            bd = ex.read_broad(files["broad"][b], output="pandas")
            # a1 (J'' and J') is more specific than a0 (J'' only): fill a1 first
            for code in ("a1", "a0"):
                rows = bd[bd["code"] == code]
                if rows.empty:
                    continue
                key_tab = rows["jlower"].to_numpy(dtype=np.int64) * 100_000
                key_lin = jl.astype(np.int64) * 100_000
                if code == "a1":
                    key_tab = key_tab + rows["jupper"].to_numpy(dtype=np.int64)
                    key_lin = key_lin + ju.astype(np.int64)
                srt_t = np.argsort(key_tab)
                key_tab = key_tab[srt_t]
                pos = np.clip(np.searchsorted(key_tab, key_lin), 0, key_tab.size - 1)
                found = (key_tab[pos] == key_lin) & np.isnan(gamma)
                gamma[found] = rows["alpha_ref"].to_numpy(dtype=np.float64)[srt_t][pos[found]]
                ntemp[found] = rows["n_Texp"].to_numpy(dtype=np.float64)[srt_t][pos[found]]
        elif b != "air":
            raise ValueError(f"no {b} broadening file for {files['prefix']}")
        missing = np.isnan(gamma)
        if np.any(missing):
            if b in files["broad"]:
                msgs.append(
                    f"{int(missing.sum())} of {nu_line.size} {files['prefix']} lines have J "
                    f"beyond the {b} .broad table; they use the .def defaults "
                    f"(gamma={fallback['alpha']}, n={fallback['n']})"
                )
            gamma[missing], ntemp[missing] = fallback["alpha"], fallback["n"]
        gam_cols.append(gamma)
        n_cols.append(ntemp)
    n = nu_line.size
    arrays = {
        "nu_cm1": nu_line,
        "strength_ref": strength,
        "elower_cm1": el,
        "einstein_a": a_ein,
        "g_upper": gu,
        "gamma_ref": np.stack(gam_cols, axis=1),
        "n_temp": np.stack(n_cols, axis=1),
        "delta_ref": np.zeros(n),
        "isotope": np.ones(n, dtype=np.int64),
        "abundance": np.ones(n),
        "molmass_amu": np.full(n, float(dic_def["molmass"])),
        "pf_index": np.zeros(n, dtype=np.int64),
        "pf_t_k": t_pf,
        "pf_q": q_pf[None, :],
        "pf_isotopes": np.array([1]),
        "broadener_fractions": np.array([fractions[b] for b in fractions]),
    }
    meta = {
        "broadeners": list(fractions),
        "molecule": files["prefix"].split("__")[0],
        "source": "exomol",
        "warnings": msgs,
    }
    return arrays, meta
