"""Synthetic cohorts: one child's sessions over weeks, with known improvement (:func:`child_sessions`)."""

from __future__ import annotations

import datetime as _dt

import numpy as np

from ..errors import ParameterError
from ..recording import Recording
from .spirals import spiral
from .writing import handwriting

__all__ = ["child_sessions"]

# ----------------------------------------------------------------------------- sessions
_SENTENCES = ("the quick brown fox jumps", "a big dog ran home", "my cat likes warm milk",
              "we play in the park", "fish swim in the lake", "i can write my name")


def child_sessions(
    n_sessions: int = 6,
    *,
    child: str = "C001",
    start_date: str = "2026-01-12",
    seed: int = 0,
    text: str | None = None,
) -> list[Recording]:
    """One synthetic child improving over weekly sessions: a sentence and a spiral each.

    From the first to the last session the letters become more even (size CV 0.25 ->
    0.06, baseline SD 0.6 -> 0.15 mm, spacing CV 0.5 -> 0.15), pressure falls (0.85 ->
    0.55), tremor fades (0.35 -> 0.08 mm at 7 Hz), writing gets faster (15 -> 25
    mm/s) and the child hesitates less: the fixed part of each pen-lift pause shrinks
    (``pause_scale`` 1.6 -> 0.5 in :func:`handwriting`), the pen travels faster in the
    air between strokes (``hover_speed_ratio`` 1.1 -> 2.0) and so does the hover before and
    after the spiral (0.6 -> 0.2 s), so ``in_air_ratio`` falls over the sessions; all with
    a little session-to-session noise. Each recording's ``meta`` has
    ``subject``, ``session`` (1-based), ``date`` (ISO), ``task``, ``truth`` and, for the
    sentence, ``text`` (what was written).

    Parameters
    ----------
    n_sessions : int
        Number of sessions (>= 1), one week apart.
    child : str
        Pseudonymous subject id.
    start_date : str
        ISO date of the first session.
    seed : int
        Random seed.
    text : str, optional
        The sentence the child copies in every session (as in a clinic, where the same
        sentence makes sessions comparable); default a different sentence each session.

    Returns
    -------
    list of Recording
        ``[sentence_1, spiral_1, sentence_2, spiral_2, ...]``.

    Examples
    --------
    >>> recs = child_sessions(2, seed=1)
    >>> [(r.meta["session"], r.meta["task"], r.meta["date"]) for r in recs]
    [(1, 'sentence', '2026-01-12'), (1, 'spiral', '2026-01-12'), (2, 'sentence', '2026-01-19'), (2, 'spiral', '2026-01-19')]
    """
    if not isinstance(n_sessions, (int, np.integer)) or n_sessions < 1:
        raise ParameterError(f"n_sessions: expected an integer >= 1, got {n_sessions!r}")
    try:
        d0 = _dt.date.fromisoformat(start_date)
    except (TypeError, ValueError):
        raise ParameterError(f"start_date: expected an ISO date like '2026-01-12', got {start_date!r}") from None
    rng = np.random.default_rng(seed)
    # hesitation noise from its own stream, so the other session parameters do not change
    hrng = np.random.default_rng([int(seed), 1])
    out: list[Recording] = []
    for i in range(int(n_sessions)):
        u = i / max(1, n_sessions - 1)  # 0 -> 1 progress
        noise = 1.0 + 0.05 * rng.standard_normal(6)
        lerp = lambda a, b: a + (b - a) * u  # noqa: E731
        s1, s2 = (int(v) for v in rng.integers(0, 2**31 - 1, 2))
        hes = np.clip(1.0 + 0.08 * hrng.standard_normal(2), 0.8, 1.2)
        date = (d0 + _dt.timedelta(weeks=i)).isoformat()
        common = {"subject": child, "session": i + 1, "date": date}
        tr_amp = max(0.02, lerp(0.35, 0.08) * noise[0])
        sent = handwriting(
            text if text is not None else _SENTENCES[i % len(_SENTENCES)],
            x_height_mm=lerp(5.0, 4.0) * noise[1],
            size_cv=max(0.0, lerp(0.25, 0.06) * noise[2]),
            baseline_sd_mm=max(0.0, lerp(0.6, 0.15) * noise[3]),
            spacing_cv=lerp(0.5, 0.15),
            word_spacing_mm=lerp(4.0, 6.0),
            slant_deg=lerp(-8.0, 5.0) + rng.normal(0, 1.0),
            pressure=min(1.0, lerp(0.85, 0.55) * noise[4]),
            speed_mm_s=lerp(15.0, 25.0) * noise[5],
            tremor_hz=7.0,
            tremor_amplitude_mm=tr_amp,
            jitter_s=0.0005,
            seed=s1,
            pause_scale=lerp(1.6, 0.5) * float(hes[0]),
            hover_speed_ratio=lerp(1.1, 2.0) / float(hes[0]),
        )
        out.append(sent.with_meta(**common))
        spi = spiral(tightness_mm_per_rad=lerp(1.3, 1.5), tremor_hz=7.0, tremor_amplitude_mm=tr_amp,
                     pressure=min(1.0, lerp(0.85, 0.55) * noise[4]), duration_s=lerp(12.0, 8.0),
                     jitter_s=0.0005, seed=s2, hover_s=lerp(0.6, 0.2) * float(hes[1]))
        out.append(spi.with_meta(**common))
    return out
