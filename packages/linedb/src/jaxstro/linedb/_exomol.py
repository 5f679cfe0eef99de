"""ExoMol datasets (``.def``, ``.pf``, ``.states``, ``.trans`` incl. wavenumber-split files,
``.broad``) -> LineList.

The whitespace tables are parsed here with numpy and validated row by row: every row of a
file must have the file's column count, the columns used must be numbers in their domain, and
every problem is a ``DataFileError`` naming the file and line. This module selects the files
(one of ``X`` / ``X.bz2`` per file), joins states to transitions, computes intensities at
296 K, assigns broadening per line and caches.

Why not radis' ``exomolapi.read_states`` / ``read_trans``: they read with a whitespace CSV
parser that fills a missing column from the next one (a ``.states`` row one column short put J
into g and halved the line strengths with no warning, issue 10 #4), and do not report file and
line. Correctness, not speed, is the reason (the CO sample reads in 0.022 s without cache,
median of 5, ``read_exomol(path, cache=False)``).
"""

from __future__ import annotations

import os
import pathlib
import re
import warnings
from collections.abc import Mapping

import numpy as np

from jaxstro.linedb._cache import cache_dir, load_cached, source_key, store_cached
from jaxstro.linedb._containers import C2_CM_K, T_REF_K, LineList
from jaxstro.linedb._hitran import _broadener_fractions, _check_nu_range, _to_linelist
from jaxstro.linedb._io import (
    DataFileError,
    check_file,
    check_last_line,
    line_error,
    read_table,
    read_text,
    require,
)
from jaxstro.linedb._pf import read_exomol_pf

__all__ = ["read_exomol", "exomol_files"]

READER_VERSION = 2  # 2: own validated parser (column counts, duplicates, file per stem)
C_CM_S = 2.99792458e10
_SPLIT = re.compile(r"__(\d{5})-(\d{5})\.trans(\.bz2)?$")


def _pick(folder: pathlib.Path, stem: str) -> pathlib.Path | None:
    """``stem`` or ``stem.bz2`` in ``folder``; with both, the plain file unless the ``.bz2`` is
    newer (a warning says which one is read). None if neither exists."""
    plain, packed = folder / stem, folder / (stem + ".bz2")
    have_plain, have_packed = plain.is_file(), packed.is_file()
    if have_plain and have_packed:
        newer = packed.stat().st_mtime_ns > plain.stat().st_mtime_ns
        chosen, other = (packed, plain) if newer else (plain, packed)
        why = "it is newer" if newer else "it is at least as new"
        warnings.warn(
            f"{folder} holds both {plain.name} and {packed.name}; reading {chosen.name} "
            f"({why}) and ignoring {other.name}",
            UserWarning,
            stacklevel=4,
        )
        return chosen
    if have_plain:
        return plain
    return packed if have_packed else None


def exomol_files(path: str | os.PathLike) -> dict:
    """Locate the files of an ExoMol dataset given its folder or its ``.def`` file.

    Each file is read from its plain or its ``.bz2`` form, never both: when a folder holds
    both (e.g. after ``bunzip2 -k``), the plain file is used unless the ``.bz2`` file is newer,
    and a ``UserWarning`` names the file used.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder (holding exactly one ``.def`` file, e.g.
        ``.../12C-16O/Li2015/``) or the ``.def`` file itself.

    Returns
    -------
    dict
        ``"def"``, ``"pf"``, ``"states"``: paths (``pathlib.Path``; the ``.pf`` and
        ``.states`` files may be ``.bz2``); ``"trans"``: sorted list of the
        ``<prefix>.trans(.bz2)`` path or of the wavenumber-split
        ``<prefix>__NNNNN-NNNNN.trans(.bz2)`` paths; ``"broad"``: ``{broadener name: path}``
        of the ``<iso>__<name>.broad`` files (may be empty); ``"prefix"``: the dataset
        prefix, e.g. ``"12C-16O__Li2015"``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, a folder holds no or several ``.def`` files, or the
        ``.pf``, ``.states`` or ``.trans`` files are missing.
    DataFileError
        If ``path`` exists but is neither a folder nor a file, or the folder holds both a
        whole ``.trans`` file and wavenumber-split ones, or split files with overlapping
        wavenumber ranges (the same lines would be read twice).

    Warns
    -----
    UserWarning
        When both ``X`` and ``X.bz2`` exist (naming the one read).
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
        found = _pick(folder, stem)
        if found is None:
            raise FileNotFoundError(f"ExoMol dataset {prefix} has no {stem}(.bz2) in {folder}")
        return found

    pattern = re.compile(re.escape(prefix) + r"(__\d{5}-\d{5})?\.trans(\.bz2)?")
    stems = sorted(
        {
            m.group(0).removesuffix(".bz2")
            for f in folder.iterdir()
            if (m := pattern.fullmatch(f.name))
        }
    )
    if not stems:
        raise FileNotFoundError(f"ExoMol dataset {prefix} has no .trans files in {folder}")
    trans = []
    for stem in stems:  # a loop, not a comprehension: the warning's stacklevel counts frames
        trans.append(one(stem))
    whole = [f for f in trans if _SPLIT.search(f.name) is None]
    split = [f for f in trans if _SPLIT.search(f.name) is not None]
    if whole and split:
        raise DataFileError(
            f"{folder} holds both the whole transition file {whole[0].name} and "
            f"wavenumber-split files ({split[0].name}, ...) of {prefix}: they hold the same "
            "lines; keep one set"
        )
    ranges = sorted(
        (int(m.group(1)), int(m.group(2)), f.name) for f in split if (m := _SPLIT.search(f.name))
    )
    for (_lo0, hi0, n0), (lo1, _hi1, n1) in zip(ranges, ranges[1:], strict=False):
        if lo1 < hi0:
            raise DataFileError(
                f"{folder}: transition files {n0} and {n1} have overlapping wavenumber ranges"
            )
    broad = {
        f.name[len(iso_slug) + 2 : -len(".broad")]: f
        for f in sorted(folder.glob(iso_slug + "__*.broad"))
        if f.is_file()
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


def _read_def(deff: pathlib.Path) -> dict:
    """Mass, default broadening and per-broadener defaults from a ``.def`` file (validated)."""
    text = read_text(deff)
    entries = []  # (line, value, description)
    for k, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if "#" not in line:
            raise line_error(deff, k, "not a 'value # description' line of an ExoMol .def file")
        val, com = line.split("#", 1)
        entries.append((k, val.strip(), com.strip()))

    def number(k, val, what):
        try:
            x = float(val.split()[0])
        except (IndexError, ValueError):
            raise line_error(deff, k, f"{what} {val!r} is not a number") from None
        if not np.isfinite(x) or x < 0:
            raise line_error(deff, k, f"{what} {val!r} must be finite and >= 0")
        return x

    def find(label):
        for k, val, com in entries:
            if com.startswith(label):
                return number(k, val, label)
        raise DataFileError(f"{deff} has no '{label}' entry (truncated or not a .def file)")

    out = {
        "molmass": find("Isotopologue mass (Da) and (kg)"),
        "alpha_ref": find("Default value of Lorentzian half-width"),
        "n_Texp": find("Default value of temperature exponent"),
        "broadeners": {},
    }
    for i, (k, val, com) in enumerate(entries):
        if com.startswith("Label for a particular broadener"):
            block = entries[i + 1 : i + 5]
            if len(block) < 4:
                raise line_error(deff, k, f"broadener {val!r} block is incomplete (truncated)")
            out["broadeners"][val] = {
                "jmax": number(block[1][0], block[1][1], "Jmax"),
                "alpha": number(block[2][0], block[2][1], "half-width"),
                "n": number(block[3][0], block[3][1], "temperature exponent"),
            }
    return out


def _integral(x):
    return np.isfinite(x) & (x == np.round(x))


def _read_states(path: pathlib.Path):
    """(id, E, g, J) of the ``.states`` file, validated, sorted by id."""
    names = ("i", "E", "g", "J")
    vals, lines, _ = read_table(
        read_text(path),
        path,
        ncols=range(4, 256),
        usecols=(0, 1, 2, 3),
        names=names,
        what="ExoMol .states",
    )
    sid, energy, gdeg, jq = vals.T
    require(
        path,
        lines,
        ~(_integral(sid) & (sid > 0)),
        "state id {value!r} is not a positive integer",
        sid,
    )
    require(path, lines, ~np.isfinite(energy), "energy {value!r} is not finite", energy)
    require(
        path,
        lines,
        ~(_integral(gdeg) & (gdeg >= 0)),
        "degeneracy g {value!r} is not an integer >= 0",
        gdeg,
    )
    require(
        path,
        lines,
        ~(np.isfinite(jq) & (jq >= 0) & _integral(2 * jq)),
        "J {value!r} is not a (half-)integer >= 0",
        jq,
    )
    sid = sid.astype(np.int64)
    order = np.argsort(sid, kind="stable")
    rep = np.flatnonzero(np.diff(sid[order]) == 0)
    if rep.size:
        k = order[rep + 1]
        k = int(k[np.argmin(lines[k])])
        raise line_error(path, lines[k], f"state id {sid[k]} appears twice")
    return sid[order], energy[order], gdeg[order], jq[order]


def _read_trans(path: pathlib.Path):
    vals, lines, _ = read_table(
        read_text(path),
        path,
        ncols=(3, 4),
        usecols=(0, 1, 2),
        names=("i_upper", "i_lower", "A", "nu"),
        what="ExoMol .trans",
    )
    iu, il, a_ein = vals.T
    for ids, what in ((iu, "upper"), (il, "lower")):
        require(
            path,
            lines,
            ~(_integral(ids) & (ids > 0)),
            f"{what} state id {{value!r}} is not a positive integer",
            ids,
        )
    require(
        path,
        lines,
        ~(np.isfinite(a_ein) & (a_ein >= 0)),
        "Einstein A {value!r} is not finite and >= 0",
        a_ein,
    )
    return iu.astype(np.int64), il.astype(np.int64), a_ein, lines


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
        If a file is truncated, corrupt or malformed, naming the file and line: bz2 errors, a
        row whose column count differs from the file's other rows (a missing or extra
        column), a field that is not a number or out of its domain (ids and degeneracies
        integers, energies, A, J, widths finite), a file cut mid-line, a state id or a
        (upper, lower) transition listed twice, transitions referring to absent states or
        with the upper state below the lower one, a malformed ``.def`` / ``.pf`` /
        ``.broad`` file, a ``.pf`` table not covering 296 K; also whole and split
        transition files of one dataset side by side (see ``exomol_files``).
    ValueError
        If ``nu_range`` is not (lower, upper) with lower < upper, no transition file or no
        line lies in it, or a broadener has no ``.broad`` file (except "air") or the
        fractions are negative or do not sum to 1 (``DataFileError`` is a ``ValueError``
        too).
    TypeError
        If ``broadener`` is neither a name nor a mapping.

    Warns
    -----
    UserWarning
        When lines fall back to the ``.def`` broadening defaults, when both ``X`` and
        ``X.bz2`` exist (naming the one read) and when a cache file is corrupt (it is
        rebuilt).

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


def _read_broad(path: pathlib.Path) -> dict:
    """{"a0": (keys, gamma, n), "a1": ...} of a ``.broad`` file (validated; other codes are
    checked for form and skipped). Keys: 2J'' (a0) and 2J'' * 2**20 + 2J' (a1)."""
    text = read_text(path)
    check_last_line(text, path, strict=True)
    tables = {"a0": {}, "a1": {}}
    width = {"a0": 4, "a1": 5}
    for k, line in enumerate(text.split("\n"), start=1):
        tok = line.split()
        if not tok:
            continue
        code = tok[0]
        if not re.fullmatch(r"[a-z]+\d+", code):
            raise line_error(path, k, f"{code!r} is not a .broad code (a0, a1, ...)")
        if code not in tables:
            continue
        if len(tok) != width[code]:
            raise line_error(
                path,
                k,
                f"{len(tok)} columns where {code} rows have {width[code]} (code, gamma, n, J''"
                + (", J')" if code == "a1" else ")"),
            )
        try:
            gam, n, *js = (float(t) for t in tok[1:])
        except ValueError:
            raise line_error(path, k, f"a field of this {code} row is not a number") from None
        if not (np.isfinite(gam) and gam >= 0 and np.isfinite(n)):
            raise line_error(path, k, f"gamma {tok[1]!r} / n {tok[2]!r} not finite (gamma >= 0)")
        if not all(np.isfinite(j) and j >= 0 and float(2 * j).is_integer() for j in js):
            raise line_error(path, k, f"J {tok[3:]} is not a (half-)integer >= 0")
        two = [round(2 * j) for j in js]
        key = two[0] if code == "a0" else two[0] * 2**20 + two[1]
        if key in tables[code]:
            raise line_error(path, k, f"{code} entry for J {tok[3:]} appears twice")
        tables[code][key] = (gam, n)
    out = {}
    for code, tab in tables.items():
        keys = np.array(sorted(tab), dtype=np.int64)
        vals = np.array([tab[q] for q in keys.tolist()], dtype=np.float64).reshape(-1, 2)
        out[code] = (keys, vals[:, 0], vals[:, 1])
    return out


def _parse(files, trans_files, nu, fractions):
    dic_def = _read_def(files["def"])
    t_pf, q_pf = read_exomol_pf(files["pf"])
    sid, energy, gdeg, jq = _read_states(files["states"])
    parts = [_read_trans(f) for f in trans_files]
    iu = np.concatenate([p[0] for p in parts])
    il = np.concatenate([p[1] for p in parts])
    a_ein = np.concatenate([p[2] for p in parts])
    src_line = np.concatenate([p[3] for p in parts])
    src_file = np.concatenate([np.full(p[0].size, k) for k, p in enumerate(parts)])

    def where(k):
        return trans_files[int(src_file[k])], int(src_line[k])

    # the same (upper, lower) pair twice: a duplicated row or file, never two lines
    pair = np.lexsort((il, iu))
    rep = np.flatnonzero((np.diff(iu[pair]) == 0) & (np.diff(il[pair]) == 0))
    if rep.size:
        m = int(rep[np.argmin(pair[rep + 1])])
        k, first = int(pair[m + 1]), int(pair[m])
        f0, n0 = where(first)
        raise line_error(
            *where(k),
            f"transition {iu[k]} -> {il[k]} is listed twice (also at {f0.name}, line {n0}): "
            "a duplicated row or file",
        )

    def lookup(ids, what):
        pos = np.clip(np.searchsorted(sid, ids), 0, sid.size - 1)
        missing = sid[pos] != ids
        if np.any(missing):
            k = int(np.flatnonzero(missing)[0])
            raise line_error(
                *where(k),
                f"{what} state {int(ids[k])} is absent from {files['states'].name} "
                f"({int(missing.sum())} transitions refer to absent states)",
            )
        return pos

    pu, pl = lookup(iu, "upper"), lookup(il, "lower")
    nu_line = energy[pu] - energy[pl]
    below = nu_line < 0
    if np.any(below):
        k = int(np.flatnonzero(below)[0])
        raise line_error(
            *where(k),
            f"upper state {iu[k]} lies below lower state {il[k]} (nu = {nu_line[k]:g} cm^-1): "
            "columns swapped or ids wrong",
        )
    keep = nu_line > 0
    if nu is not None:
        keep &= (nu_line >= nu[0]) & (nu_line <= nu[1])
    if not np.any(keep):
        raise ValueError(f"no ExoMol lines of {files['prefix']} in nu_range={nu} cm^-1")
    idx = np.flatnonzero(keep)
    # ordered by wavenumber, ties by (upper, lower): independent of the order of the rows
    srt = idx[np.lexsort((il[idx], iu[idx], nu_line[idx]))]
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

    msgs = []
    gam_cols, n_cols = [], []
    two_jl = np.round(2 * jl).astype(np.int64)
    two_ju = np.round(2 * ju).astype(np.int64)
    for b in fractions:
        fallback = dic_def["broadeners"].get(
            b, {"alpha": dic_def["alpha_ref"], "n": dic_def["n_Texp"]}
        )
        gamma = np.full(nu_line.size, np.nan)
        ntemp = np.full(nu_line.size, np.nan)
        if b in files["broad"]:
            tables = _read_broad(files["broad"][b])
            # a1 (J'' and J') is more specific than a0 (J'' only): fill a1 first
            for code, key_lin in (("a1", two_jl * 2**20 + two_ju), ("a0", two_jl)):
                keys, gam_t, n_t = tables[code]
                if keys.size == 0:
                    continue
                pos = np.clip(np.searchsorted(keys, key_lin), 0, keys.size - 1)
                found = (keys[pos] == key_lin) & np.isnan(gamma)
                gamma[found] = gam_t[pos[found]]
                ntemp[found] = n_t[pos[found]]
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
