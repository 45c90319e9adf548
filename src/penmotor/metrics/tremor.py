"""Tremor: frequency, amplitude and band power share of the pen-tip oscillation.

Method
------
1. **Position residual.** The recording is cut into runs of continuous sampling (pen-down
   *and* hover samples: a tremor does not stop at a pen lift, and long runs keep its
   phase, so its spectral line stays sharp; a run ends where the clock jumps by more
   than 50 ms or 5 median intervals). Each run is resampled to a uniform ``rate_hz``
   grid (:func:`penmotor.signal.resample`), and x and y minus their zero-phase low-pass
   at ``highpass_hz`` = 2 Hz (:func:`penmotor.signal.lowpass`, a 2 s windowed-sinc FIR:
   the movement below ~1.5 Hz is removed, everything above ~3 Hz kept) is the residual.
2. **Welch spectrum** of the residual (Hann window, ``segment_s`` = 4 s segments, 50 %
   overlap, 8x zero padding), x and y summed: the PSD of the 2-D displacement.
3. **Tremor peak** (spirals and other drawings: :func:`penmotor.tasks.task_kind`). Candidates are the peaks
   strictly inside ``band`` (3-15 Hz) of the residual's *velocity* spectrum
   ``(2 pi f)^2 PSD(f)`` (which favours a tremor over the slower movement) with a
   prominence of at least ``min_prominence`` = 0.3 decades (a factor 2) in the log
   spectrum within the band. The highest is the tremor. This accepts the real, broad
   6-9 Hz tremor of the PaHaW PD spiral.
4. ``tremor_frequency``: its frequency, refined by parabolic interpolation of the
   log-spectrum. ``tremor_amplitude``: ``A`` of the displacement ``A sin(2 pi f t)``
   that explains it: the power within ``+-peak_halfwidth_hz`` (1 Hz) minus the
   background (the lower of the mean densities of the two flanks, 1.5-3 half-widths
   away) is the variance ``A^2/2``, corrected for the high-pass gain at ``f`` -- half
   the peak-to-peak displacement along the tremor's axis (for any fixed direction).
   With no candidate, or ``A`` below :data:`MIN_AMPLITUDE_MM`, there is no tremor: the
   frequency is NaN and the amplitude 0.
5. **Handwriting** (``mode="auto"`` on text -- a writing label, or unlabelled ink that is
   not spiral-like, :func:`penmotor.tasks.task_kind` -- or
   ``mode="handwriting"``). Letters have energy at 2-10 Hz of their own, so the writing
   rhythm made peaks that the method above reported as a "tremor" of 0.05-1.3 mm, and a
   real tremor's peak was inflated by the writing under it (+10-90 %). Here only a
   *steady narrow line* counts: candidates in 4-15 Hz (:data:`HANDWRITING_BAND`; below
   4 Hz lies the writing rhythm); the background under each is a power law fitted to
   its flanks (0.75-1.5 Hz away) in log-log, and the line must stand
   :data:`MIN_LINE_RATIO` (4) times above it; the power is integrated over +-0.5 Hz
   (:data:`HANDWRITING_HALFWIDTH_HZ`) minus that background; and in a finer spectrum
   (8 s segments) at least :data:`MIN_LINE_CONCENTRATION` (half) of the power within
   1 Hz of the line must lie within 0.3 Hz of it. No such line, or less than
   :data:`HANDWRITING_MIN_S` (8 s) of recording (one or two Welch segments: the bumps of
   the writing's spectrum pass for lines): frequency NaN, amplitude 0. Writing at a steady
   pace is periodic, and its rhythm and harmonics make narrow lines of their own (0.71 mm
   at 4.7 Hz for "home union home mum" in constant-speed 3 mm cursive at 30 mm/s): so a
   line must also be in the *hover* -- a sinusoid at its frequency fitted to the hover runs
   must have at least :data:`MIN_HOVER_SHARE` of its amplitude (a tremor is the hand's, the
   letters' rhythm is on the paper only); a line that is not is skipped for the next
   strongest. Without a hover run of at least one period the line is kept. A tremor
   within 1 Hz of a stronger writing line (:data:`HOVER_RESOLUTION_HZ`) is not told from it.
6. ``tremor_power_ratio``: the share of the pen-down *velocity* power (Savitzky-Golay
   derivative of the resampled strokes, :func:`penmotor.signal.derivative`) between 1
   and 20 Hz that lies in 4-12 Hz.

All three are NaN with less than ``min_duration_s`` (2 s) of pen-down ink.

Accuracy on :mod:`penmotor.synth` (see ``tests/test_tremor.py``): spirals, 3.5-14 Hz,
0.05-1 mm, 133 or 200 Hz sampling with jitter: frequency within 0.02 Hz, amplitude
within 4 %; no tremor -> NaN / 0. On the PaHaW PD-male spiral it finds a 7.3 Hz,
0.22 mm tremor. **Handwriting** (600 random synthetic sentences, x-height 2-8 mm,
15-25 mm/s, uneven letters and gaps, tremor at 6-10 Hz along any axis): a tremor of
0.3-0.5 mm is found in 96-100 % of them with the frequency within 0.25 Hz and the
amplitude within 20 % (the misses: 2 mm letters at 23-25 mm/s), 0.2 mm in 89 %; **0.15 mm in 70 % and 0.1 mm in only half**
(the writing itself has that much movement near the tremor frequency) -- otherwise it
is reported absent (NaN / 0), seldom mis-measured; tremor-free sentences report no
tremor (143 of 143 below 0.05 mm; short texts of 4-6 s gave false lines of
0.05-0.18 mm in 1 of 5 before the 8 s minimum). ``synth.child_sessions``
(7 Hz, 0.35 -> 0.08 mm, 10 seeds): 0.25-0.35 mm always found (amplitude within 13 %),
0.15-0.25 mm in 16 of 19 (within 18 %), below 0.15 mm reported absent in 19 of 20 (one
read 2.4x too high at 6.6 Hz). PaHaW handwriting tasks (125; 94 shorter than 8 s):
none reports a tremor (the spiral method had 34 of 63 healthy-control tasks at
0.05-1.6 mm), and neither does the PD-male's handwriting, although his spiral shows a
7.3 Hz tremor: a real tremor whose frequency wanders by more than ~0.3 Hz is not a
narrow line. **Measure tremor on the spiral (or line) task**; on handwriting a reported
tremor is trustworthy, an absent one is not proof of none.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import signal as psig
from ..errors import ParameterError
from ..recording import Recording
from ..registry import metric
from ..tasks import task_kind

__all__ = ["Spectrum", "tremor_spectrum", "run_residual", "tremor_frequency", "tremor_amplitude", "tremor_power_ratio",
           "line_concentration"]

NAN = float("nan")
#: Tremor band searched on spirals and other drawings, Hz.
SPIRAL_BAND = (3.0, 15.0)
#: Tremor band searched on handwriting, Hz: below 4 Hz lies the writing rhythm itself.
HANDWRITING_BAND = (4.0, 15.0)
#: Half-width (Hz) of the spectral line integrated for the amplitude on handwriting.
HANDWRITING_HALFWIDTH_HZ = 0.5
#: On handwriting, the PSD at a tremor line must be this many times the local power-law
#: background fitted to its flanks.
MIN_LINE_RATIO = 4.0
#: Welch segment (s) of the finer spectrum that tests a handwriting tremor line's width.
FINE_SEGMENT_S = 8.0
#: Minimum share of the fine spectrum's power within 1 Hz of a handwriting tremor line
#: that must lie within 0.3 Hz of it.
MIN_LINE_CONCENTRATION = 0.5
#: Handwriting shorter than this (s of continuous sampling) gives no tremor (NaN): with
#: one or two 4 s Welch segments the spectrum of the writing is too rough to single out
#: a line (tremor-free "hello world", 4-6 s: a false 0.05-0.18 mm "tremor" in 1 of 5).
HANDWRITING_MIN_S = 8.0
#: Below this amplitude (mm; 4 units of a 200 lines/mm tablet) a spectral peak is not a tremor.
MIN_AMPLITUDE_MM = 0.02
#: On handwriting, a candidate line must also be in the hover: the amplitude of the sinusoid
#: at its frequency fitted to the hover runs (over a quadratic trend) must be at least this
#: share of the line's amplitude. A tremor is the hand's and goes on with the pen in the air;
#: the rhythm of the letters is on the paper only. Measured on constant-speed repeated cursive
#: (the tests' cursive generator, 3-5 words, 3-5 mm, 10-60 mm/s, straight 0.25 s hovers):
#: the writing's own lines (0.03-0.9 mm, e.g. 0.71 mm at 4.7 Hz in "home union home mum",
#: 30 mm/s, 3 mm, which halved the x-height when taken out) have hover shares of 0.00-0.01;
#: 0.3-0.5 mm tremors at 5-9 Hz planted in the same writing (pen-down and hover): 0.91-1.05;
#: 0.1-0.5 mm tremors in 80 synthetic sentences and ``synth.child_sessions``: 0.99-2.3.
MIN_HOVER_SHARE = 0.4
#: Hover runs shorter than this many periods of the candidate line are not fitted; with less
#: than :data:`MIN_HOVER_PERIODS` periods in all, the hover cannot tell and the line is kept.
MIN_HOVER_PERIODS = 1.0
#: Candidate lines at least this far apart (Hz) are fitted to the hover together; closer ones
#: (the side lobes of a wandering tremor, 0.6 Hz from it in ``synth.child_sessions``) share a verdict.
HOVER_RESOLUTION_HZ = 1.0


@dataclass(frozen=True)
class Spectrum:
    """Welch spectra of the pen-down displacement residual and of the velocity.

    Attributes
    ----------
    f : ndarray
        Frequencies, Hz.
    psd : ndarray
        Summed x+y power spectral density of the high-passed displacement, mm^2/Hz.
    psd_velocity : ndarray
        Summed x+y power spectral density of the velocity, (mm/s)^2/Hz.
    gain : ndarray
        Amplitude gain of the high-pass at each frequency.
    duration_s : float
        Pen-down time analysed.

    Examples
    --------
    >>> from penmotor import synth
    >>> tremor_spectrum(synth.spiral(duration_s=4.0, seed=0)).duration_s
    4.0
    """

    f: np.ndarray
    psd: np.ndarray
    psd_velocity: np.ndarray
    gain: np.ndarray
    duration_s: float


def _odd(n: float) -> int:
    n = int(round(n))
    return n if n % 2 else n + 1


def tremor_spectrum(
    rec: Recording,
    *,
    rate_hz: float = 200.0,
    highpass_hz: float = 2.0,
    segment_s: float = 4.0,
) -> Spectrum | None:
    """Welch spectra of the high-passed pen-down displacement and of the velocity (cached).

    Parameters
    ----------
    rec : Recording
    rate_hz : float
        Uniform resampling rate.
    highpass_hz : float
        -6 dB point of the high-pass that removes the handwriting movement.
    segment_s : float
        Welch segment length, s (frequency resolution before zero padding is ``1/segment_s``).

    Returns
    -------
    Spectrum or None
        None when there is no pen-down ink to analyse.

    Examples
    --------
    >>> from penmotor import synth
    >>> spectrum = tremor_spectrum(synth.tremor_spiral(freq_hz=7.0, amplitude_mm=0.3, seed=0))
    >>> round(float(spectrum.f[np.argmax(spectrum.psd)]))
    7
    """
    key = ("tremor.spectrum", float(rate_hz), float(highpass_hz), float(segment_s))
    return rec.cached(key, lambda: _spectrum(rec, rate_hz, highpass_hz, segment_s))


def _sampling_runs(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of continuous sampling (pen-down and hover alike), split where the clock jumps."""
    dt = np.diff(t)
    pos = dt[dt > 0]
    if pos.size == 0:
        return np.array([0]), np.array([t.size])
    cut = np.flatnonzero(dt > max(0.05, 5.0 * float(np.median(pos)))) + 1
    return np.concatenate(([0], cut)), np.concatenate((cut, [t.size]))


def _rec_sampling_runs(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_sampling_runs` of the recording's clock (cached)."""
    return rec.cached("tremor.sampling_runs", lambda: _sampling_runs(rec.t))


def run_residual(
    rec: Recording, *, rate_hz: float = 200.0, highpass_hz: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pen-tip displacement minus its zero-phase low-pass, per run of continuous sampling (cached).

    Every run of continuous sampling (pen-down *and* hover: a tremor does not stop at a pen
    lift) is resampled to `rate_hz`; x and y minus their `highpass_hz` low-pass is the
    displacement residual that the tremor spectrum and the sizing's tremor-line removal
    both start from, so it is computed once per recording.

    Returns
    -------
    t, residual, starts, stops : ndarray
        Uniform times (s), residual x/y (mm, shape (n, 2)) and the runs' bounds in them.
        Shared arrays: do not modify them.

    Examples
    --------
    >>> from penmotor import synth
    >>> t, res, s, e = run_residual(synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=0))
    >>> res.shape[1], bool(0.3 < np.percentile(np.abs(res[:, 0]), 99) < 0.6)
    (2, True)
    """

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        tu, xy, ns, ne = _run_samples(rec, rate_hz)
        low = psig.lowpass(xy, rate_hz=rate_hz, cutoff_hz=highpass_hz, starts=ns, stops=ne,
                           numtaps=_odd(4.0 * rate_hz / highpass_hz + 1))
        return tu, xy - low, ns, ne

    return rec.cached(("tremor.run_residual", float(rate_hz), float(highpass_hz)), compute)


def _run_samples(rec: Recording, rate_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every run of continuous sampling resampled to `rate_hz`: times, x/y, run bounds (cached)."""

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rs, re_ = _rec_sampling_runs(rec)
        res = psig.resample(rec.t, np.column_stack((rec.x, rec.y)), starts=rs, stops=re_, rate_hz=rate_hz)
        return res.t, res.values, res.starts, res.stops

    return rec.cached(("tremor.run_samples", float(rate_hz)), compute)


def _velocity_spectrum(rec: Recording, rate_hz: float, segment_s: float
                       ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray, int] | None:
    """The pen-down velocity's Welch PSD and what decides whether a :class:`Spectrum` exists (cached).

    Returns (f, psd_velocity, duration_s, run starts, run stops, samples in those runs), or
    None exactly when :func:`tremor_spectrum` is None -- without the displacement residual's
    low-pass, so :func:`tremor_power_ratio` needs no more than this.
    """

    def compute() -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray, int] | None:
        starts, stops = rec.stroke_bounds()
        keep = (stops - starts) >= 2
        starts, stops = starts[keep], stops[keep]
        if starts.size == 0:
            return None
        down_s = float(np.sum(rec.t[stops - 1] - rec.t[starts]))
        # displacement residual: every run of continuous sampling (pen-down *and* hover: a
        # tremor does not stop at a pen lift, and long runs keep its phase and a sharp line)
        _, xy, ns, ne = _run_samples(rec, rate_hz)
        ok = (ne - ns) >= 3
        ns, ne = ns[ok], ne[ok]
        if ns.size == 0:
            return None
        n_res = int(np.sum(ne - ns))  # the runs are disjoint
        vel = _down_velocity(rec, rate_hz)
        if vel is None:
            return None
        nper = int(min(n_res, round(segment_s * rate_hz)))
        nperv = int(min(vel.shape[0], round(segment_s * rate_hz)))
        if nper < 8 or nperv < 8:
            return None
        nfft = 8 * int(round(segment_s * rate_hz))
        f, pvv = psig.welch(vel, rate_hz=rate_hz, nperseg=nperv, nfft=nfft)
        return f, pvv.sum(axis=1), down_s, ns, ne, n_res

    return rec.cached(("tremor.velocity_spectrum", float(rate_hz), float(segment_s)), compute)


def _spectrum(rec: Recording, rate_hz: float, highpass_hz: float, segment_s: float) -> Spectrum | None:
    vs = _velocity_spectrum(rec, rate_hz, segment_s)
    if vs is None:
        return None
    f, pvv, down_s, ns, ne, n_res = vs
    numtaps = _odd(4.0 * rate_hz / highpass_hz + 1)
    _, resid, _, _ = run_residual(rec, rate_hz=rate_hz, highpass_hz=highpass_hz)
    res = _in_segments(resid, ns, ne)
    nper = int(min(n_res, round(segment_s * rate_hz)))
    nfft = 8 * int(round(segment_s * rate_hz))
    _, pxx = psig.welch(res, rate_hz=rate_hz, nperseg=nper, nfft=nfft)
    gain = _highpass_gain(numtaps, float(highpass_hz), float(rate_hz), nfft)
    return Spectrum(f, pxx.sum(axis=1), pvv, gain, down_s)


def _in_segments(a: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The rows of `a` inside the (sorted, disjoint) segments: `a` itself when they tile it."""
    if starts.size and starts[0] == 0 and stops[-1] == a.shape[0] and np.array_equal(starts[1:], stops[:-1]):
        return a
    return a[psig.segment_ids(starts, stops, a.shape[0]) >= 0]


def _down_velocity(rec: Recording, rate_hz: float) -> np.ndarray | None:
    """Velocity (mm/s, shape (n, 2)) of the pen-down strokes of >= 3 resampled samples, concatenated
    (cached: shared by the spectra of every `segment_s`); None when there are none.

    The resampled strokes are shared with the kinematics; one-sample strokes resample to one
    sample and are dropped here.
    """

    def compute() -> np.ndarray | None:
        _, xyp, ds, de = psig._resampled(rec, "down", rate_hz)
        xyd = xyp[:, :2]
        okd = (de - ds) >= 3
        ds, de = ds[okd], de[okd]
        if ds.size == 0:
            return None
        vel = psig.derivative(xyd, rate_hz=rate_hz, deriv=1, starts=ds, stops=de)
        return _in_segments(vel, ds, de)

    return rec.cached(("tremor.down_velocity", float(rate_hz)), compute)


@functools.lru_cache(maxsize=16)
def _highpass_gain(numtaps: int, highpass_hz: float, rate_hz: float, nfft: int) -> np.ndarray:
    """Gain of the residual ``x - lowpass(x)`` at the Welch frequencies (depends on settings only)."""
    from scipy.signal import firwin, freqz

    f = np.fft.rfftfreq(nfft, 1.0 / rate_hz)
    _, h = freqz(firwin(numtaps, highpass_hz, fs=rate_hz), worN=f, fs=rate_hz)
    # zero-phase FIR: |H| is its real amplitude; the residual's gain is |1 - H|
    g = np.abs(1.0 - np.abs(h))
    g.flags.writeable = False
    return g


def _window_means(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of y[lo:hi] for every pair (clipped to the array; NaN when empty)."""
    cs = np.concatenate(([0.0], np.cumsum(y)))
    lo = np.clip(lo, 0, y.size)
    hi = np.clip(hi, 0, y.size)
    n = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (cs[hi] - cs[lo]) / np.maximum(n, 1), NAN)


def _tremor_peak(spectrum: Spectrum, band: tuple[float, float], halfwidth_hz: float,
                 min_prominence: float, min_amplitude_mm: float = MIN_AMPLITUDE_MM) -> tuple[float, float]:
    """(frequency, amplitude) of the tremor peak, or (NaN, 0.0) when there is none."""
    from scipy.signal import find_peaks

    f, psd = spectrum.f, spectrum.psd
    df = float(f[1] - f[0])
    # candidates: peaks strictly inside the band of the residual's velocity spectrum
    # (2 pi f)^2 psd (which favours a tremor over the slower writing rhythm), standing out
    # by at least `min_prominence` decades within the band
    pv = psd * (2 * np.pi * f) ** 2
    sel = np.flatnonzero((f >= band[0]) & (f <= band[1]))
    if sel.size < 3 or not np.all(pv[sel] > 0):
        return NAN, 0.0
    lp = np.log10(pv[sel])
    pk, _ = find_peaks(lp, prominence=min_prominence)
    if pk.size == 0:
        return NAN, 0.0
    i = int(sel[pk[np.argmax(lp[pk])]])
    f0 = float(f[i])
    a, b, c = np.log(pv[i - 1 : i + 2])
    den = a - 2 * b + c
    if den < 0:
        f0 += 0.5 * (a - c) / den * df
    d = np.abs(f - f0)
    core = d <= halfwidth_hz
    flank = (d >= 1.5 * halfwidth_hz) & (d <= 3.0 * halfwidth_hz)
    levels = [float(np.mean(psd[m])) for m in (flank & (f < f0), flank & (f > f0)) if m.any()]
    bg = min(levels) if levels else 0.0
    power = float(np.sum(psd[core]) - bg * np.count_nonzero(core)) * df
    g = float(np.interp(f0, f, spectrum.gain))
    if g <= 0:
        return NAN, 0.0
    amp = math.sqrt(2.0 * max(power, 0.0)) / g
    if amp < min_amplitude_mm:
        return NAN, 0.0
    return float(f0), amp


def _line_peak(spectrum: Spectrum, band: tuple[float, float], halfwidth_hz: float, min_prominence: float,
               min_line_ratio: float, min_amplitude_mm: float = MIN_AMPLITUDE_MM,
               fine: Callable[[], Spectrum | None] | None = None,
               hover: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[float, float]:
    """(frequency, amplitude) of the strongest *narrow* line over a power-law background, or (NaN, 0.0).

    Candidates as in :func:`_tremor_peak`; for each, the background is a straight line in
    log(PSD) vs log(f) fitted to the flanks 1.5-3 half-widths away on both sides and
    interpolated under the peak. A candidate counts when its PSD at the peak is at least
    `min_line_ratio` times that background; its power is the PSD minus the background
    within `halfwidth_hz`. The candidate with the most power wins. With `fine` (giving a
    longer-segment spectrum, computed only when there is a winner), it must also be narrow: at least
    :data:`MIN_LINE_CONCENTRATION` of the fine spectrum's power within 1 Hz of the peak
    lies within 0.3 Hz of it (a steady tremor does; the rhythm of fast small writing,
    whose strokes vary in duration, does not). With `hover` (giving the amplitude of the
    sinusoid at a frequency in the hover, NaN when the hover cannot tell), a candidate whose
    hover amplitude is below :data:`MIN_HOVER_SHARE` of its own is the writing's rhythm,
    not a tremor, and the next strongest candidate is considered.
    """
    from scipy.signal import find_peaks

    f, psd = spectrum.f, spectrum.psd
    df = float(f[1] - f[0])
    pv = psd * (2 * np.pi * f) ** 2
    sel = np.flatnonzero((f >= band[0]) & (f <= band[1]))
    if sel.size < 3 or not np.all(pv[sel] > 0):
        return NAN, 0.0
    pk, _ = find_peaks(np.log10(pv[sel]), prominence=min_prominence)
    found: list[tuple[float, float, float]] = []  # (power, frequency, amplitude) of the lines
    logf = np.log(np.where(f > 0, f, np.nan))
    for p in pk:  # loop over a handful of candidate peaks
        i = int(sel[p])
        f0 = float(f[i])
        a, b, c = np.log(pv[i - 1 : i + 2])
        den = a - 2 * b + c
        if den < 0:
            f0 += 0.5 * (a - c) / den * df
        d = np.abs(f - f0)
        core = d <= halfwidth_hz
        flank = (d >= 1.5 * halfwidth_hz) & (d <= 3.0 * halfwidth_hz) & (psd > 0) & (f > 0)
        if np.count_nonzero(flank & (f < f0)) < 2 or np.count_nonzero(flank & (f > f0)) < 2:
            continue
        coef = np.polyfit(logf[flank], np.log(psd[flank]), 1)
        bg = np.exp(np.polyval(coef, logf[core]))
        ratio = float(np.interp(f0, f, psd)) / math.exp(float(np.polyval(coef, math.log(f0))))
        power = float(np.sum(psd[core] - bg)) * df
        g = float(np.interp(f0, f, spectrum.gain))
        if ratio < min_line_ratio or power <= 0 or g <= 0:
            continue
        amp = math.sqrt(2.0 * power) / g
        if amp >= min_amplitude_mm:
            found.append((power, f0, amp))
    found.sort(reverse=True)
    in_hover = _in_hover(found, hover)
    best = next(((f0, amp) for (_, f0, amp), ok in zip(found, in_hover) if ok), (NAN, 0.0))
    if fine is not None and np.isfinite(best[0]):
        fsp = fine()
        if fsp is None or line_concentration(fsp, best[0]) < MIN_LINE_CONCENTRATION:
            return NAN, 0.0
    return best


def _in_hover(found: list[tuple[float, float, float]], hover: Callable[[np.ndarray], np.ndarray] | None
              ) -> list[bool]:
    """Whether each line of `found` ((power, frequency, amplitude), strongest first) is in the hover.

    The hover is fitted at once at the frequencies of the strongest lines that lie at least
    :data:`HOVER_RESOLUTION_HZ` apart; a weaker line closer than that to one of them (a
    side lobe) shares its verdict. True when the hover cannot tell (NaN).
    """
    if hover is None or not found:
        return [True] * len(found)
    f = np.array([fr for _, fr, _ in found])
    head: list[int] = []
    for i in range(f.size):  # a handful of lines
        if all(abs(f[i] - f[j]) >= HOVER_RESOLUTION_HZ for j in head):
            head.append(i)
    amp_h = hover(f[head])
    owner = [min(head, key=lambda j: abs(f[i] - f[j])) for i in range(f.size)]
    share = {j: amp_h[k] / found[j][2] for k, j in enumerate(head)}
    return [not share[owner[i]] < MIN_HOVER_SHARE for i in range(f.size)]


def _hover_runs(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the hover samples and the start (in them) of each hover run (cached).

    A run ends at a pen-down sample or where the clock jumps (:func:`_sampling_runs`).
    """

    def compute() -> tuple[np.ndarray, np.ndarray]:
        idx = np.flatnonzero(~rec.pen_down)
        rs, _ = _rec_sampling_runs(rec)
        first = np.zeros(rec.t.size, dtype=bool)
        first[rs] = True
        new = np.ones(idx.size, dtype=bool)
        new[1:] = (np.diff(idx) > 1) | first[idx[1:]]
        return idx, np.flatnonzero(new)

    return rec.cached("tremor.hover_runs", compute)


def _hover_amplitudes(rec: Recording, freqs: np.ndarray) -> np.ndarray:
    """Amplitude (mm) of the sinusoid at each of `freqs` in the hover; NaN with too little hover to tell.

    On every hover run at least :data:`MIN_HOVER_PERIODS` periods (of the lowest frequency)
    long, x and y are fitted (least squares) by a quadratic in time plus
    ``a_k cos(2 pi f_k t) + b_k sin(2 pi f_k t)`` for all `freqs` at once (a hover run is too
    short to tell 4.5 from 6 Hz apart: fitted alone, a tremor at one frequency would show at
    the other); a run's amplitude at ``f_k`` is ``sqrt(a_kx^2 + b_kx^2 + a_ky^2 + b_ky^2)``
    (``A`` of a tremor along any fixed direction), and the runs' amplitudes are averaged in
    power, weighted by duration. All NaN when the fitted runs hold fewer than
    :data:`MIN_HOVER_PERIODS` periods.
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    out = np.full(freqs.size, NAN)
    idx, starts = _hover_runs(rec)
    if starts.size == 0 or freqs.size == 0:
        return out
    t = rec.t[idx]
    stops = np.r_[starts[1:], idx.size]
    dur = t[stops - 1] - t[starts]
    f_lo = float(freqs.min())
    ok = (dur * f_lo >= MIN_HOVER_PERIODS) & (stops - starts >= 3 + 2 * freqs.size + 5)
    if not ok.any():
        return out
    sel = ok[np.repeat(np.arange(starts.size), stops - starts)]
    n = (stops - starts)[ok]
    mid = np.repeat(0.5 * (t[starts] + t[stops - 1])[ok], n)
    half = 0.5 * dur[ok]
    tau = (t[sel] - mid) / np.repeat(half, n)  # -1..1 within each run
    ph = 2.0 * np.pi * (t[sel] - mid)[:, None] * freqs[None, :]
    m = np.column_stack((np.ones_like(tau), tau, tau * tau, np.cos(ph), np.sin(ph)))
    xy = np.column_stack((rec.x[idx[sel]], rec.y[idx[sel]]))
    gram, rhs = _run_normal_equations(m, xy, n)
    gram += 1e-9 * np.trace(gram, axis1=1, axis2=2)[:, None, None] * np.eye(m.shape[1])
    coef = np.linalg.solve(gram, rhs)  # (runs, columns, 2)
    k = freqs.size
    a2 = np.sum(coef[:, 3:3 + k, :] ** 2 + coef[:, 3 + k:, :] ** 2, axis=2)  # (runs, k)
    return np.sqrt(half @ a2 / float(np.sum(half)))


def _run_normal_equations(m: np.ndarray, xy: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per run (consecutive rows, `n` each): ``M'M`` and ``M'XY`` of its rows of `m` (design) and `xy`.

    Runs of similar length are zero-padded into (runs, length, columns) blocks and multiplied
    batch-wise (a zero row adds nothing), a block at most about four times the rows it holds:
    no (rows, columns, columns) temporary (270 MB for the hover of a 1 M-sample page).
    """
    R, C = n.size, m.shape[1]
    gram = np.empty((R, C, C))
    rhs = np.empty((R, C, xy.shape[1]))
    st = np.r_[0, np.cumsum(n)[:-1]]
    order = np.argsort(n, kind="stable")
    i = 0
    while i < R:  # loop over blocks of runs of similar length, not over samples
        j = i + 1
        rows = int(n[order[i]])
        while j < R and int(n[order[j]]) * (j + 1 - i) <= 4 * (rows + int(n[order[j]])):
            rows += int(n[order[j]])
            j += 1
        blk = order[i:j]
        L = int(n[blk].max())
        pos = np.arange(L)
        have = pos[None, :] < n[blk][:, None]
        take = np.where(have, st[blk][:, None] + pos[None, :], 0)
        mb = np.where(have[:, :, None], m[take], 0.0)  # (runs, L, C)
        xb = np.where(have[:, :, None], xy[take], 0.0)
        mt = mb.transpose(0, 2, 1)
        gram[blk] = mt @ mb
        rhs[blk] = mt @ xb
        i = j
    return gram, rhs


def line_concentration(spectrum: Spectrum, f0: float) -> float:
    """Share of the power within 1 Hz of the local maximum near `f0` that lies within 0.3 Hz of it.

    Near 1 for a narrow spectral line (a tremor), lower for a broad bump (the rhythm of
    the writing). 0 when no frequency of `spectrum` lies within 0.3 Hz of `f0`.

    Examples
    --------
    >>> from penmotor import synth
    >>> spectrum = tremor_spectrum(synth.tremor_spiral(freq_hz=7.0, amplitude_mm=0.3, seed=0))
    >>> bool(line_concentration(spectrum, 7.0) > 0.6)
    True
    """
    f, p = spectrum.f, spectrum.psd
    near = np.abs(f - f0) <= 0.3
    if not near.any():
        return 0.0
    fpk = float(f[near][np.argmax(p[near])])
    d = np.abs(f - fpk)
    tot = float(np.sum(p[d <= 1.0]))
    return float(np.sum(p[d <= 0.3])) / tot if tot > 0 else 0.0


def _check_mode(mode: str) -> None:
    if mode not in ("auto", "spiral", "handwriting"):
        raise ParameterError(f"mode: expected 'auto', 'spiral' or 'handwriting', got {mode!r}")


def _peak(rec: Recording, spectrum: Spectrum, mode: str, band: tuple[float, float] | None,
          halfwidth_hz: float | None, min_prominence: float) -> tuple[float, float]:
    if mode == "handwriting" or (mode == "auto" and task_kind(rec) == "text"):
        rs, re_ = _rec_sampling_runs(rec)
        if float(np.sum(rec.t[re_ - 1] - rec.t[rs])) < HANDWRITING_MIN_S:
            return NAN, 0.0  # one or two Welch segments: every bump of the writing looks like a line

        def fine() -> Spectrum | None:
            return tremor_spectrum(rec, segment_s=FINE_SEGMENT_S)

        return _line_peak(spectrum, HANDWRITING_BAND if band is None else band,
                          HANDWRITING_HALFWIDTH_HZ if halfwidth_hz is None else halfwidth_hz,
                          min_prominence, MIN_LINE_RATIO, fine=fine,
                          hover=functools.partial(_hover_amplitudes, rec))
    return _tremor_peak(spectrum, SPIRAL_BAND if band is None else band, 1.0 if halfwidth_hz is None else halfwidth_hz,
                        min_prominence)


def _usable(spectrum: Spectrum | None, min_duration_s: float) -> bool:
    return spectrum is not None and spectrum.duration_s >= min_duration_s


def _peak_of(rec: Recording, mode: str, band: tuple[float, float] | None, halfwidth_hz: float | None,
             min_prominence: float, min_duration_s: float) -> tuple[float, float]:
    """(frequency, amplitude) of the tremor peak; (NaN, NaN) when the recording is too short.

    The shared body of :func:`tremor_frequency` and :func:`tremor_amplitude` (cached per settings).
    """
    _check_mode(mode)
    key = ("tremor.peak", mode, None if band is None else (float(band[0]), float(band[1])),
           None if halfwidth_hz is None else float(halfwidth_hz), float(min_prominence), float(min_duration_s))
    return rec.cached(key, lambda: _find_peak(rec, mode, band, halfwidth_hz, min_prominence, min_duration_s))


def _find_peak(rec: Recording, mode: str, band: tuple[float, float] | None, halfwidth_hz: float | None,
               min_prominence: float, min_duration_s: float) -> tuple[float, float]:
    if mode == "handwriting" or (mode == "auto" and task_kind(rec) == "text"):
        known = _short_writing(rec, min_duration_s)
        if known is not None:  # the answer the spectrum would give, without computing it
            return known
    spectrum = tremor_spectrum(rec)
    if not _usable(spectrum, min_duration_s):
        return NAN, NAN
    return _peak(rec, spectrum, mode, band, halfwidth_hz, min_prominence)


def _short_writing(rec: Recording, min_duration_s: float) -> tuple[float, float] | None:
    """Writing too short for the handwriting method: its result, known without a spectrum.

    Under :data:`HANDWRITING_MIN_S` of sampling, :func:`_peak` returns (NaN, 0.0) for any
    usable spectrum, and an unusable one gives (NaN, NaN): less than `min_duration_s` of
    pen-down ink (the spectrum's ``duration_s``) is unusable; with more, a stroke of 0.1 s
    or longer resamples to enough samples for both Welch spectra, so the spectrum exists.
    Otherwise (None) the spectrum decides.
    """
    rs, re_ = _rec_sampling_runs(rec)
    if float(np.sum(rec.t[re_ - 1] - rec.t[rs])) >= HANDWRITING_MIN_S:
        return None
    st, sp = rec.stroke_bounds()
    keep = (sp - st) >= 2
    dur = rec.t[sp[keep] - 1] - rec.t[st[keep]]
    if float(np.sum(dur)) < min_duration_s:
        return NAN, NAN
    return (NAN, 0.0) if dur.size and float(dur.max()) >= 0.1 else None


@metric(unit="Hz", better=None, label='Tremor frequency')
def tremor_frequency(
    rec: Recording,
    *,
    band: tuple[float, float] | None = None,
    peak_halfwidth_hz: float | None = None,
    min_prominence: float = 0.3,
    min_duration_s: float = 2.0,
    mode: str = "auto",
) -> float:
    """Frequency of the tremor: the dominant narrow spectral peak of the pen-tip displacement in `band`, Hz.

    NaN when no peak in the band stands out by `min_prominence` decades (no tremor), and on
    handwriting also when no peak is a narrow line at least :data:`MIN_LINE_RATIO` times
    its local background. `mode` ``"auto"`` takes the handwriting method on text
    (:func:`penmotor.tasks.task_kind`), the spiral method on spirals and drawings; `band` and `peak_halfwidth_hz` default to the mode's (3-15 Hz and 1 Hz on
    spirals, 4-15 Hz and 0.5 Hz on handwriting). See the module docstring.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(tremor_frequency(synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=0)), 1)
    6.0
    """
    return _peak_of(rec, mode, band, peak_halfwidth_hz, min_prominence, min_duration_s)[0]


@metric(unit="mm", better="lower", label='Tremor size')
def tremor_amplitude(
    rec: Recording,
    *,
    band: tuple[float, float] | None = None,
    peak_halfwidth_hz: float | None = None,
    min_prominence: float = 0.3,
    min_duration_s: float = 2.0,
    mode: str = "auto",
) -> float:
    """Amplitude of the dominant tremor oscillation: half its peak-to-peak displacement, mm.

    ``A`` of ``A sin(2 pi f t)``, from the background-corrected power of the spectral
    peak (see the module docstring); 0 when there is no tremor peak. Parameters as in
    :func:`tremor_frequency`.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(tremor_amplitude(synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=0)), 2)
    0.4
    """
    return _peak_of(rec, mode, band, peak_halfwidth_hz, min_prominence, min_duration_s)[1]


@metric(unit="1", better="lower", label='Tremor share of movement')
def tremor_power_ratio(
    rec: Recording,
    *,
    band: tuple[float, float] = (4.0, 12.0),
    total_band: tuple[float, float] = (1.0, 20.0),
    min_duration_s: float = 2.0,
) -> float:
    """Share of the pen-down velocity power in 1-20 Hz that lies in the 4-12 Hz tremor band.

    Below 1 Hz lie the slow, large movements (a spiral's turns), whose power would depend
    on the Welch segment length; above 20 Hz, digitiser noise.

    Examples
    --------
    >>> from penmotor import synth
    >>> calm = tremor_power_ratio(synth.spiral(seed=0))
    >>> shaky = tremor_power_ratio(synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=0))
    >>> bool(calm < 0.1 < shaky)
    True
    """
    vs = _velocity_spectrum(rec, 200.0, 4.0)  # the velocity part of tremor_spectrum(rec)
    if vs is None or not vs[2] >= min_duration_s:
        return NAN
    f, pvv = vs[0], vs[1]
    tot = float(np.sum(pvv[(f >= total_band[0]) & (f <= total_band[1])]))
    if not tot > 0:
        return NAN
    return float(np.sum(pvv[(f >= band[0]) & (f <= band[1])]) / tot)
