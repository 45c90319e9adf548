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
3. **Tremor peak.** Candidates are the peaks strictly inside ``band`` (3-15 Hz) of the
   residual's *velocity* spectrum ``(2 pi f)^2 PSD(f)`` (which favours a tremor over the
   slower writing rhythm) with a prominence of at least ``min_prominence`` = 0.3
   decades (a factor 2) in the log spectrum within the band. The highest is the tremor.
   (A sharper test -- a narrow line over its flanks -- rejected the writing rhythm of
   synthetic sentences but also the real, broad 6-9 Hz tremor of the PaHaW PD spiral.)
4. ``tremor_frequency``: its frequency, refined by parabolic interpolation of the
   log-spectrum. ``tremor_amplitude``: ``A`` of the displacement ``A sin(2 pi f t)``
   that explains it: the power within ``+-peak_halfwidth_hz`` (1 Hz) minus the
   background (the lower of the mean densities of the two flanks, 1.5-3 half-widths
   away) is the variance ``A^2/2``, corrected for the high-pass gain at ``f`` -- half
   the peak-to-peak displacement along the tremor's axis (for any fixed direction).
   With no candidate, or ``A`` below :data:`MIN_AMPLITUDE_MM`, there is no tremor: the
   frequency is NaN and the amplitude 0.
5. ``tremor_power_ratio``: the share of the pen-down *velocity* power (Savitzky-Golay
   derivative of the resampled strokes, :func:`penmotor.signal.derivative`) between 1
   and 20 Hz that lies in 4-12 Hz.

All three are NaN with less than ``min_duration_s`` (2 s) of pen-down ink.

Accuracy on :mod:`penmotor.synth` (see ``tests/test_tremor.py``): spirals, 3.5-14 Hz,
0.05-1 mm, 133 or 200 Hz sampling with jitter: frequency within 0.02 Hz, amplitude
within 4 %; no tremor -> NaN / 0. On the PaHaW PD-male spiral it finds a 7.3 Hz,
0.22 mm tremor (the same 7 Hz in his other tasks). **Limitation -- handwriting:** the
letter shapes leak through the high-pass and the writing rhythm (3-5 Hz) forms peaks of
its own: a tremor of 0.5 mm at 4-12 Hz is found in synthetic sentences (amplitude
within ~25 %), 0.1-0.2 mm in about half of them, and tremor-free sentences report
their writing rhythm as a "tremor" (0.05-1.3 mm; PaHaW healthy sentences 0.2-1.6 mm
at 3-5 Hz). Measure tremor on the spiral (or line) task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import signal as psig
from ..recording import Recording
from ..registry import metric

__all__ = ["Spectrum", "tremor_spectrum", "tremor_frequency", "tremor_amplitude", "tremor_power_ratio"]

NAN = float("nan")
#: Below this amplitude (mm; 4 units of a 200 lines/mm tablet) a spectral peak is not a tremor.
MIN_AMPLITUDE_MM = 0.02


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
    >>> sp = tremor_spectrum(synth.tremor_spiral(freq_hz=7.0, amplitude_mm=0.3, seed=0))
    >>> round(float(sp.f[np.argmax(sp.psd)]))
    7
    """
    key = ("tremor.spectrum", float(rate_hz), float(highpass_hz), float(segment_s))
    return rec.cached(key, lambda: _spectrum(rec, rate_hz, highpass_hz, segment_s))


def _runs(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of continuous sampling (pen-down and hover alike), split where the clock jumps."""
    dt = np.diff(t)
    pos = dt[dt > 0]
    if pos.size == 0:
        return np.array([0]), np.array([t.size])
    cut = np.flatnonzero(dt > max(0.05, 5.0 * float(np.median(pos)))) + 1
    return np.concatenate(([0], cut)), np.concatenate((cut, [t.size]))


def _spectrum(rec: Recording, rate_hz: float, highpass_hz: float, segment_s: float) -> Spectrum | None:
    from scipy.signal import firwin, freqz, welch

    st, sp = rec.stroke_bounds()
    keep = (sp - st) >= 2
    st, sp = st[keep], sp[keep]
    if st.size == 0:
        return None
    down_s = float(np.sum(rec.t[sp - 1] - rec.t[st]))
    numtaps = _odd(4.0 * rate_hz / highpass_hz + 1)
    # displacement residual: every run of continuous sampling (pen-down *and* hover: a
    # tremor does not stop at a pen lift, and long runs keep its phase and a sharp line)
    rs, re_ = _runs(rec.t)
    _, xy, ns, ne, _ = psig.resample(rec.t, np.column_stack((rec.x, rec.y)), starts=rs, stops=re_,
                                     rate_hz=rate_hz)
    ok = (ne - ns) >= 3
    ns, ne = ns[ok], ne[ok]
    if ns.size == 0:
        return None
    low = psig.lowpass(xy, rate_hz=rate_hz, cutoff_hz=highpass_hz, starts=ns, stops=ne, numtaps=numtaps)
    inside = psig.segment_ids(ns, ne, xy.shape[0]) >= 0
    res = (xy - low)[inside]
    # velocity of the pen-down strokes (for the band power share)
    _, xyd, ds, de, _ = psig.resample(rec.t, np.column_stack((rec.x, rec.y)), starts=st, stops=sp, rate_hz=rate_hz)
    okd = (de - ds) >= 3
    ds, de = ds[okd], de[okd]
    if ds.size == 0:
        return None
    vel = psig.derivative(xyd, rate_hz=rate_hz, deriv=1, starts=ds, stops=de)
    vel = vel[psig.segment_ids(ds, de, xyd.shape[0]) >= 0]
    nper = int(min(res.shape[0], round(segment_s * rate_hz)))
    nperv = int(min(vel.shape[0], round(segment_s * rate_hz)))
    if nper < 8 or nperv < 8:
        return None
    nfft = 8 * int(round(segment_s * rate_hz))
    f, pxx = welch(res, fs=rate_hz, nperseg=nper, nfft=nfft, axis=0, detrend="constant")
    _, pvv = welch(vel, fs=rate_hz, nperseg=nperv, nfft=nfft, axis=0, detrend="constant")
    kern = firwin(numtaps, highpass_hz, fs=rate_hz)
    _, h = freqz(kern, worN=f, fs=rate_hz)
    # zero-phase FIR: |H| is its real amplitude; the residual's gain is |1 - H|
    gain = np.abs(1.0 - np.abs(h))
    return Spectrum(f, pxx.sum(axis=1), pvv.sum(axis=1), gain, down_s)


def _window_means(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of y[lo:hi] for every pair (clipped to the array; NaN when empty)."""
    cs = np.concatenate(([0.0], np.cumsum(y)))
    lo = np.clip(lo, 0, y.size)
    hi = np.clip(hi, 0, y.size)
    n = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (cs[hi] - cs[lo]) / np.maximum(n, 1), NAN)


def _tremor_peak(sp: Spectrum, band: tuple[float, float], halfwidth_hz: float,
                 min_prominence: float, min_amplitude_mm: float = MIN_AMPLITUDE_MM) -> tuple[float, float]:
    """(frequency, amplitude) of the tremor peak, or (NaN, 0.0) when there is none."""
    from scipy.signal import find_peaks

    f, psd = sp.f, sp.psd
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
    g = float(np.interp(f0, f, sp.gain))
    if g <= 0:
        return NAN, 0.0
    amp = math.sqrt(2.0 * max(power, 0.0)) / g
    if amp < min_amplitude_mm:
        return NAN, 0.0
    return float(f0), amp


def _usable(sp: Spectrum | None, min_duration_s: float) -> bool:
    return sp is not None and sp.duration_s >= min_duration_s


@metric(unit="Hz", better=None)
def tremor_frequency(
    rec: Recording,
    *,
    band: tuple[float, float] = (3.0, 15.0),
    peak_halfwidth_hz: float = 1.0,
    min_prominence: float = 0.3,
    min_duration_s: float = 2.0,
) -> float:
    """Frequency of the tremor: the dominant narrow spectral peak of the pen-tip displacement in `band`, Hz.

    NaN when no peak in the band stands out by `min_prominence` decades (no tremor).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(tremor_frequency(synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=0)), 1)
    6.0
    """
    sp = tremor_spectrum(rec)
    if not _usable(sp, min_duration_s):
        return NAN
    return _tremor_peak(sp, band, peak_halfwidth_hz, min_prominence)[0]


@metric(unit="mm", better="lower")
def tremor_amplitude(
    rec: Recording,
    *,
    band: tuple[float, float] = (3.0, 15.0),
    peak_halfwidth_hz: float = 1.0,
    min_prominence: float = 0.3,
    min_duration_s: float = 2.0,
) -> float:
    """Amplitude of the dominant tremor oscillation: half its peak-to-peak displacement, mm.

    ``A`` of ``A sin(2 pi f t)``, from the background-corrected power of the spectral
    peak (see the module docstring); 0 when there is no tremor peak.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(tremor_amplitude(synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=0)), 2)
    0.4
    """
    sp = tremor_spectrum(rec)
    if not _usable(sp, min_duration_s):
        return NAN
    return _tremor_peak(sp, band, peak_halfwidth_hz, min_prominence)[1]


@metric(unit="1", better="lower")
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
    sp = tremor_spectrum(rec)
    if not _usable(sp, min_duration_s):
        return NAN
    tot = float(np.sum(sp.psd_velocity[(sp.f >= total_band[0]) & (sp.f <= total_band[1])]))
    if not tot > 0:
        return NAN
    return float(np.sum(sp.psd_velocity[(sp.f >= band[0]) & (sp.f <= band[1])]) / tot)
