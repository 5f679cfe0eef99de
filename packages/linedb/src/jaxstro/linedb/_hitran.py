"""HITRAN / HITEMP 160-character ``.par`` files (plain or ``.bz2``) -> LineList.

Parsing is radis' ``hit2df``; this module adds validation (line length and numeric fields,
reported with file and line number), isotopologue selection, abundances and masses from
radis' HITRAN molecular parameters, TIPS partition functions, and the HDF5 cache.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence

import numpy as np

from jaxstro.linedb._cache import cache_dir, load_cached, source_key, store_cached
from jaxstro.linedb._containers import T_REF_K, LineList
from jaxstro.linedb._io import DataFileError, check_file, read_text, write_temp_copy
from jaxstro.linedb._pf import tips_table

__all__ = ["read_hitran", "HITRAN_BROADENERS"]

READER_VERSION = 2  # 2: widths and shifts converted from per atm to per bar

#: HITRAN widths and shifts are per atm; LineList holds them per bar (as ExoMol does)
BAR_PER_ATM = 1.01325
HITRAN_BROADENERS: tuple[str, ...] = ("air", "self")
"""Broadener names ``read_hitran`` accepts (HITRAN's air- and self-broadened widths)."""
_MOLECULES = {1: "H2O", 2: "CO2", 5: "CO", 6: "CH4", 7: "O2", 11: "NH3", 13: "OH", 23: "HCN"}


def _broadener_fractions(broadener, available) -> dict[str, float]:
    spec = {broadener: 1.0} if isinstance(broadener, str) else dict(broadener)
    if not isinstance(broadener, str | Mapping):
        raise TypeError(f"broadener must be a name or a {{name: fraction}} dict; got {broadener!r}")
    unknown = sorted(set(spec) - set(available))
    if unknown:
        raise ValueError(
            f"unknown broadener {unknown}; this file provides {list(available)} "
            "(or a mixture such as {'H2': 0.85, 'He': 0.15})"
        )
    total = sum(spec.values())
    if not np.isclose(total, 1.0, atol=1e-6) or any(v < 0 for v in spec.values()):
        raise ValueError(f"broadener fractions must be >= 0 and sum to 1; got {spec}")
    return spec


def _check_nu_range(nu_range):
    if nu_range is None:
        return None
    lo, hi = (float(v) for v in nu_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(
            f"nu_range must be (lower, upper) in cm^-1 with lower < upper; got {nu_range}"
        )
    return lo, hi


def _validate_lines(text: str, path) -> None:
    lines = text.splitlines()
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) != 160:
            raise DataFileError(
                f"{path}, line {i}: HITRAN records are 160 characters, this one "
                f"has {len(line)} (truncated or not a .par file)"
            )
        try:
            float(line[3:15])
            float(line[15:25])
            float(line[45:55])
        except ValueError as exc:
            raise DataFileError(f"{path}, line {i}: malformed numeric field ({exc})") from exc


def read_hitran(
    path: str | os.PathLike,
    nu_range: tuple[float, float] | None = None,
    *,
    isotopes: int | Sequence[int] | None = None,
    broadener: str | Mapping[str, float] = "air",
    cache: bool | str | os.PathLike = True,
) -> LineList:
    """Read a HITRAN/HITEMP ``.par`` (or ``.par.bz2``) file into a ``LineList``.

    Parameters
    ----------
    path : str or os.PathLike
        The 160-character-format file (one molecule), plain or bz2-compressed.
    nu_range : (float, float) or None
        (lower, upper) [cm^-1] to keep; None keeps every line.
    isotopes : int, sequence of int, or None
        HITRAN local isotopologue ids to keep (e.g. ``[1]`` for 12C16O); None keeps all.
    broadener : str or Mapping[str, float]
        "air", "self" (``HITRAN_BROADENERS``) or a mixture of volume fractions summing to 1,
        such as ``{"air": 0.9, "self": 0.1}``.
    cache : bool or str or os.PathLike
        True (``$JAXSTRO_CACHE`` or ``~/.cache/jaxstro/linedb``), a folder, or False (no
        cache).

    Returns
    -------
    LineList
        The lines with ``nu_cm1`` ascending: ``strength_ref`` [cm/molecule] at 296 K per
        molecule of the isotopologue, ``abundance`` the HITRAN isotopic abundance,
        ``gamma_ref`` [cm^-1/bar] and ``n_temp`` of shape (n_lines, n_broadener) in the
        order of ``broadener``, ``delta_ref`` [cm^-1/bar], TIPS partition functions in
        ``pf_q`` of shape (n_iso, n_T).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataFileError
        If the file is truncated or corrupt (bz2), a record is not 160 characters or has a
        malformed numeric field (the message gives the line number), or it mixes molecules.
    ValueError
        If ``nu_range`` is not (lower, upper) with lower < upper, no line matches
        ``nu_range`` and ``isotopes``, TIPS has no partition function for an isotopologue,
        or ``broadener`` names an unknown broadener or has fractions that are negative or do
        not sum to 1.
    TypeError
        If ``broadener`` is neither a name nor a mapping.

    Warns
    -----
    UserWarning
        When a cache file is corrupt (it is rebuilt).

    Notes
    -----
    Widths and pressure shifts are converted from HITRAN's per atm to per bar. HITRAN
    intensities include the isotopic abundance; it is divided out into
    ``LineList.abundance`` (see ``LineList``). ``self`` broadening uses the air
    temperature exponent (HITRAN gives none for self).
    """
    path = check_file(path, "HITRAN file")
    nu = _check_nu_range(nu_range)
    fractions = _broadener_fractions(broadener, HITRAN_BROADENERS)
    iso_sel = None if isotopes is None else sorted(int(i) for i in np.atleast_1d(isotopes))
    key = source_key(
        [path],
        "hitran",
        READER_VERSION,
        {"nu_range": nu, "isotopes": iso_sel, "broadener": fractions},
    )
    folder = cache_dir(cache)
    hit = load_cached(folder, key)
    if hit is None:
        arrays, meta = _parse(path, nu, iso_sel, fractions)
        store_cached(folder, key, arrays, meta)
    else:
        meta = hit.pop("__attrs__")
        arrays = hit
    return _to_linelist(arrays, meta)


def _parse(path, nu, iso_sel, fractions):
    from radis.api.hitranapi import hit2df
    from radis.db.molparam import MolParams

    text = read_text(path)
    _validate_lines(text, path)
    with tempfile.TemporaryDirectory() as tmp:
        df = hit2df(
            str(write_temp_copy(text, ".par", tmp)),
            cache=False,
            verbose=False,
            output="pandas",
            parse_quanta=False,
        )
    cols = ["id", "iso", "wav", "int", "A", "airbrd", "selbrd", "El", "Tdpair", "Pshft", "gp"]
    data = {c: np.asarray(df[c], dtype=np.float64) for c in cols}
    for c in ("wav", "int", "El", "A"):
        bad = ~np.isfinite(data[c])
        if np.any(bad):
            raise DataFileError(
                f"{path}, line {int(np.flatnonzero(bad)[0]) + 1}: field {c} is not a number"
            )
    mol_ids = np.unique(data["id"]).astype(int)
    if mol_ids.size != 1:
        raise DataFileError(f"{path} mixes molecules {mol_ids.tolist()}; one molecule per file")
    mol = int(mol_ids[0])
    keep = np.ones(data["wav"].size, dtype=bool)
    if nu is not None:
        keep &= (data["wav"] >= nu[0]) & (data["wav"] <= nu[1])
    if iso_sel is not None:
        keep &= np.isin(data["iso"].astype(int), iso_sel)
    if not np.any(keep):
        raise ValueError(
            f"no lines of {path.name} in nu_range={nu} cm^-1 with isotopes={iso_sel}; the file "
            f"covers {data['wav'].min():.3f}-{data['wav'].max():.3f} cm^-1, isotopologues "
            f"{np.unique(data['iso']).astype(int).tolist()}"
        )
    d = {k: v[keep] for k, v in data.items()}
    order = np.argsort(d["wav"], kind="stable")
    d = {k: v[order] for k, v in d.items()}
    iso = d["iso"].astype(int)
    mp = MolParams()
    isos = np.unique(iso)
    abundance = {int(i): float(mp.get(mol, int(i), "abundance")) for i in isos}
    mass = {int(i): float(mp.get(mol, int(i), "mol_mass")) for i in isos}
    tables = [tips_table(mol, int(i)) for i in isos]
    t_grid = tables[0][0]
    for t, _ in tables[1:]:
        t_grid = t_grid if t_grid[-1] <= t[-1] else t
    pf_q = np.stack([np.interp(t_grid, t, q) for t, q in tables])
    names = list(fractions)
    gam = {"air": d["airbrd"] / BAR_PER_ATM, "self": d["selbrd"] / BAR_PER_ATM}
    arrays = {
        "nu_cm1": d["wav"],
        "strength_ref": d["int"] / np.array([abundance[i] for i in iso]),
        "elower_cm1": d["El"],
        "einstein_a": d["A"],
        "g_upper": d["gp"],
        "gamma_ref": np.stack([gam[b] for b in names], axis=1),
        "n_temp": np.stack([d["Tdpair"] for _ in names], axis=1),
        "delta_ref": np.nan_to_num(d["Pshft"]) / BAR_PER_ATM,
        "isotope": iso,
        "abundance": np.array([abundance[i] for i in iso]),
        "molmass_amu": np.array([mass[i] for i in iso]),
        "pf_index": np.searchsorted(isos, iso),
        "pf_t_k": t_grid,
        "pf_q": pf_q,
        "pf_isotopes": isos,
        "broadener_fractions": np.array([fractions[b] for b in names]),
    }
    meta = {
        "broadeners": names,
        "molecule": _MOLECULES.get(mol, f"HITRAN-{mol}"),
        "source": "hitran",
    }
    return arrays, meta


def _to_linelist(arrays: dict, meta: dict) -> LineList:
    return LineList(
        nu_cm1=arrays["nu_cm1"],
        strength_ref=arrays["strength_ref"],
        elower_cm1=arrays["elower_cm1"],
        einstein_a=arrays["einstein_a"],
        g_upper=arrays["g_upper"],
        gamma_ref=arrays["gamma_ref"],
        n_temp=arrays["n_temp"],
        delta_ref=arrays["delta_ref"],
        isotope=arrays["isotope"],
        abundance=arrays["abundance"],
        molmass_amu=arrays["molmass_amu"],
        pf_index=arrays["pf_index"],
        pf_t_k=arrays["pf_t_k"],
        pf_q=arrays["pf_q"],
        pf_isotopes=arrays["pf_isotopes"],
        broadeners=tuple(meta["broadeners"]),
        broadener_fractions=arrays["broadener_fractions"],
        t_ref_k=T_REF_K,
        molecule=meta["molecule"],
        source=meta["source"],
    )
