"""Ingest: turn recording files, scanned worksheets and in-memory recordings into session rows.

Everything here computes; nothing writes. :meth:`penmotor.progress.store.Store.ingest`
and :meth:`~penmotor.progress.store.Store.add_recording` call these functions and write
their rows (one transaction per file).

* :func:`file_sessions` -- one file: hashed first (a file already stored is skipped
  without reading it), then read with :func:`penmotor.read` and scored with
  :func:`penmotor.features`, or, for images and PDFs (:data:`SCAN_EXTENSIONS`), scored
  page by page with :func:`penmotor.scan.score_page`;
* :func:`recording_session` -- one in-memory :class:`~penmotor.Recording`;
* the compact ink copy kept with each session (:func:`encode_ink` / :func:`decode_ink`,
  :func:`png_thumbnail`), :func:`file_sha256`, :func:`as_date`, :class:`IngestResult`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError, PenmotorError
from ..recording import Recording

__all__ = [
    "SCAN_EXTENSIONS",
    "IngestResult",
    "file_sessions",
    "prompt_of",
    "recording_session",
    "file_sha256",
    "encode_ink",
    "decode_ink",
    "stored_spectrum",
    "png_thumbnail",
    "as_date",
]

#: File extensions treated as scanned worksheets (scored with :func:`penmotor.scan.score_page`).
SCAN_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's content (hex), read in 1 MiB blocks.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> _ = open(p, "wb").write(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def encode_ink(rec: Recording, *, spectrum: Any = None) -> bytes:
    """A compact copy of a recording's ink for the store (``"xy-npz"``).

    Keeps ``t`` (float64, s), ``x``, ``y`` (float32, mm), ``pressure`` (float32, 0-1)
    and ``pen_down``: enough for the report's ink plots and pressure map; and, when given,
    the tremor metrics' spectrum of the full-precision recording (``spectrum``, a
    :class:`~penmotor.metrics.tremor.Spectrum`: its frequencies and displacement PSD), so
    the report plots the very spectrum the metrics used without recomputing it.
    Inverse: :func:`decode_ink` (and :func:`stored_spectrum`).

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, .01, .02], x=[0, 1, 2], y=[0, 1, 0], pressure=[.2, .5, .2])
    >>> back = decode_ink(encode_ink(rec))
    >>> np.allclose(back.x, rec.x), np.allclose(back.pressure, rec.pressure)
    (True, True)
    """
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        t=np.asarray(rec.t, np.float64),
        x=np.asarray(rec.x, np.float32),
        y=np.asarray(rec.y, np.float32),
        pressure=np.asarray(rec.pressure, np.float32),
        pen_down=np.asarray(rec.pen_down, bool),
        **({"spectrum_f": np.asarray(spectrum.f, np.float64), "spectrum_psd": np.asarray(spectrum.psd, np.float64)}
           if spectrum is not None else {}),
    )
    return buf.getvalue()


def stored_spectrum(blob: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """The tremor spectrum (frequencies in Hz, PSD in mm^2/Hz) kept by :func:`encode_ink`; None if none.

    Examples
    --------
    >>> from penmotor import synth
    >>> from penmotor.metrics.tremor import tremor_spectrum
    >>> rec = synth.tremor_spiral(seed=0)
    >>> f, psd = stored_spectrum(encode_ink(rec, spectrum=tremor_spectrum(rec)))
    >>> bool(np.array_equal(psd, tremor_spectrum(rec).psd))
    True
    >>> stored_spectrum(encode_ink(rec)) is None
    True
    """
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        if "spectrum_f" not in z.files:
            return None
        return z["spectrum_f"], z["spectrum_psd"]


def _spectrum_of(rec: Recording) -> Any:
    """The tremor metrics' spectrum (cached on `rec` by the features just computed; None without ink)."""
    from ..metrics.tremor import tremor_spectrum

    try:
        return tremor_spectrum(rec)
    except PenmotorError:
        return None


def decode_ink(blob: bytes) -> Recording:
    """Rebuild a :class:`~penmotor.Recording` from :func:`encode_ink` bytes.

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, .01], x=[0, 1], y=[0, 0])
    >>> len(decode_ink(encode_ink(rec)))
    2
    """
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        p = z["pressure"].astype(np.float64)
        return Recording.from_arrays(
            t=z["t"], x=z["x"].astype(np.float64), y=z["y"].astype(np.float64),
            pressure=np.clip(p, 0.0, 1.0), pen_down=z["pen_down"],
        )


def png_thumbnail(page: np.ndarray, max_px: int = 1400) -> bytes:
    """A PNG of a grey page reduced to at most `max_px` pixels on its longer side.

    Examples
    --------
    >>> png_thumbnail(np.full((3000, 100), 200, np.uint8))[:4]
    b'\\x89PNG'
    """
    import cv2

    page = np.asarray(page)
    if page.dtype != np.uint8:
        page = np.clip(page, 0, 255).astype(np.uint8)
    h, w = page.shape[:2]
    f = min(1.0, max_px / max(h, w))
    if f < 1.0:
        page = cv2.resize(page, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    ok, enc = cv2.imencode(".png", page)
    if not ok:  # pragma: no cover
        raise PenmotorError("could not encode the page thumbnail")
    return enc.tobytes()


def as_date(value: Any, *, what: str) -> _dt.date:
    """A date from a date, datetime or ISO string; a :class:`ParameterError` naming `what` otherwise.

    Examples
    --------
    >>> as_date("2026-01-12T10:00", what="date")
    datetime.date(2026, 1, 12)
    """
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ParameterError(f"{what}: expected an ISO date YYYY-MM-DD, got {value!r}")


@dataclass
class IngestResult:
    """What :meth:`~penmotor.progress.store.Store.ingest` did with one file.

    Attributes
    ----------
    path : str
    status : {"added", "duplicate", "error"}
    session_ids : list of int
        New session ids (empty unless added).
    message : str
        Error text for ``"error"``; a short note otherwise.
    error : Exception or None
        The exception behind an ``"error"`` (for an interface that words it its own way,
        e.g. :func:`penmotor.io.options.explain`).

    Examples
    --------
    >>> IngestResult("a.pmr", "duplicate").ok
    True
    """

    path: str
    status: str
    session_ids: list[int] = field(default_factory=list)
    message: str = ""
    error: BaseException | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        """True unless the file could not be ingested."""
        return self.status != "error"


def file_sessions(
    path: Path,
    child: str,
    *,
    date: _dt.date | None = None,
    task: str | None = None,
    dpi: float | None = None,
    force_dpi: float | None = None,
    device: Any = None,
    read_options: Mapping[str, Any] | None = None,
    keep_ink: bool = True,
    featurize: Callable[[Recording], Mapping[str, float]] | None = None,
    is_stored: Callable[[str], bool] | None = None,
    prompt: str | None = None,
) -> tuple[str, list[dict[str, Any]]] | None:
    """Hash, read and score one file: its content hash and one session row per recording or page.

    Parameters
    ----------
    path : Path
    child : str
        The child the file is filed under: a recording whose ``meta["subject"]`` names
        another child is refused.
    date, task, dpi, force_dpi, device, read_options, keep_ink, featurize, prompt
        As in :meth:`~penmotor.progress.store.Store.ingest`.
    is_stored : callable, optional
        ``is_stored(sha256)``: True when this content is already stored; then the file is
        not read and None is returned.

    Returns
    -------
    (str, list of dict) or None
        The SHA-256 of the file and the keyword arguments of
        :meth:`~penmotor.progress.store.Store.add_session` for each part (without child,
        sha256, part and source); None for content already stored.

    Raises
    ------
    PenmotorError
        When the file is missing, unreadable or belongs to another child.

    Examples
    --------
    >>> import tempfile, os
    >>> from penmotor import synth, write
    >>> p = os.path.join(tempfile.mkdtemp(), "C001_sentence.pmr")
    >>> write(synth.handwriting("ab", seed=1), p)
    >>> digest, rows = file_sessions(Path(p), "C001", featurize=lambda rec: {"n": float(len(rec))})
    >>> len(digest), rows[0]["modality"], rows[0]["task"]
    (64, 'online', 'sentence')
    """
    if not path.is_file():
        raise FormatError("no such file" if not path.exists() else "not a regular file", path=path)
    digest = file_sha256(path)
    if is_stored is not None and is_stored(digest):
        return None
    mdate = _dt.date.fromtimestamp(path.stat().st_mtime)
    if path.suffix.lower() in SCAN_EXTENSIONS:
        parts = _scan_pages(path, dpi=dpi, force_dpi=force_dpi, keep_ink=keep_ink)
        rows = [dict(modality="scan", task=task or "worksheet", date=date or mdate, device=None,
                     prompt=prompt or None, **p) for p in parts]
        return digest, rows
    from ..io import read
    from ..registry import features

    kw = dict(read_options or {})
    if device is not None:
        kw["device"] = device
    got = read(path, **kw)
    recs = got if isinstance(got, list) else [got]
    if not recs:
        raise FormatError("file holds no recording", path=path)
    rows = []
    for rec in recs:
        subj = rec.meta.get("subject")
        if subj not in (None, "") and str(subj) != child:
            raise FormatError(f"the recording belongs to subject {subj!r}, not {child!r}; "
                              "nothing was added (check the child id)", path=path)
        vals = (featurize or features)(rec)
        meta_date = rec.meta.get("date") and as_date(rec.meta["date"], what=f"{path}: meta date")
        rows.append(dict(
            modality="online",
            task=task or str(rec.meta.get("task") or path.stem.split("_")[0] or "unknown"),
            date=date or meta_date or mdate,
            device=rec.device.name if rec.device is not None else None,
            values=vals, n_samples=len(rec),
            duration_s=rec.duration if len(rec) else None,
            ink=encode_ink(rec, spectrum=_spectrum_of(rec)) if keep_ink else None, ink_format="xy-npz",
            prompt=prompt or prompt_of(rec.meta),
        ))
    return digest, rows


def _scan_pages(path: Path, *, dpi: float | None, force_dpi: float | None = None,
                keep_ink: bool) -> list[dict[str, Any]]:
    """Score every page of an image/PDF file (one session part per page)."""
    from ..scan import load_pages, score_page

    out = []
    for page in load_pages(path, dpi=dpi, force_dpi=force_dpi):
        vals = score_page(page)
        grey = getattr(page, "grey", None)
        ink = png_thumbnail(grey) if (keep_ink and grey is not None) else None
        out.append(dict(values=vals, ink=ink, ink_format="png"))
    if not out:
        raise FormatError("no page found", path=path)
    return out


def recording_session(
    child: str,
    rec: Recording,
    *,
    date: Any = None,
    task: str | None = None,
    source: str | None = None,
    sha256: str | None = None,
    values: Mapping[str, float] | None = None,
    keep_ink: bool = True,
) -> dict[str, Any]:
    """The session row of an in-memory recording (see :meth:`~penmotor.progress.store.Store.add_recording`).

    Returns
    -------
    dict
        Keyword arguments of :meth:`~penmotor.progress.store.Store.add_session` (without child and part).

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, .01], x=[0, 1], y=[0, 0], meta={"date": "2026-01-12"})
    >>> row = recording_session("C001", rec, values={"n": 2.0})
    >>> row["task"], row["modality"], len(row["sha256"])
    ('unknown', 'online', 64)
    """
    if not isinstance(rec, Recording):
        raise ParameterError(f"rec: expected a penmotor.Recording, got {type(rec).__name__}")
    subj = rec.meta.get("subject")
    if subj not in (None, "") and str(subj) != child:
        raise ParameterError(f"rec: belongs to subject {subj!r}, not {child!r} (check the child id)")
    ink = encode_ink(rec)
    if sha256 is None:
        sha256 = hashlib.sha256(ink).hexdigest()
    d = date if date is not None else rec.meta.get("date")
    if d is None:
        raise ParameterError("date: not given and the recording has no meta['date']")
    t = task or rec.meta.get("task") or "unknown"
    if values is None:
        from ..registry import features

        values = features(rec)
        if keep_ink:  # the tremor spectrum the features just used (cached on rec), for the report
            ink = encode_ink(rec, spectrum=_spectrum_of(rec))
    dev = rec.device.name if rec.device is not None else None
    return dict(
        date=d, task=str(t), modality="online", sha256=sha256, values=values,
        device=dev, source=source if source is not None else rec.meta.get("source"),
        n_samples=len(rec), duration_s=rec.duration if len(rec) else None,
        ink=ink if keep_ink else None, ink_format="xy-npz", prompt=prompt_of(rec.meta),
    )


def prompt_of(meta: Mapping[str, Any]) -> str | None:
    """The text a recording's child copied, from its meta: ``prompt``, ``text`` or a template's text.

    Examples
    --------
    >>> prompt_of({"text": "the quick brown fox"})
    'the quick brown fox'
    >>> prompt_of({"template": {"name": "sentence", "params": {"text": "a big dog"}}})
    'a big dog'
    >>> prompt_of({"task": "spiral"}) is None
    True
    """
    for key in ("prompt", "text"):
        v = meta.get(key)
        if isinstance(v, str) and v.strip():
            return " ".join(v.split())
    tpl = meta.get("template")
    params = tpl.get("params") if isinstance(tpl, Mapping) else None
    v = params.get("text") if isinstance(params, Mapping) else None
    return " ".join(v.split()) if isinstance(v, str) and v.strip() else None
