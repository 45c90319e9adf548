"""Clock glitches (jumps of years, resets, wraps) are cut by the time-stamp policy, and work and
memory downstream follow the number of samples, never what a broken clock says."""

from __future__ import annotations

import gc
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import penmotor
from penmotor import FormatError, ParameterError, PenmotorError, PenmotorWarning, Recording
from penmotor.io.curious import curious_device
from penmotor.recording import CHANNELS, GLITCH_JUMP_S, glitch_steps
from penmotor.signal import resample

CURIOUS = "line_number,x,y,UTC_Timestamp,seconds\n"
T0 = 1686858474.5


def curious_file(path, *, n=400, jump_at=None, jump_s=1.7e9, spike=False):
    """A Curious spiral (2 lines of n/2 samples, 10 ms apart); from `jump_at` on the clock is off
    by `jump_s` (only at that one sample with `spike`)."""
    i = np.arange(n)
    th = np.linspace(0, 4 * np.pi, n)
    t = T0 + 0.01 * i
    if jump_at is not None:
        t[jump_at if spike else slice(jump_at, None)] += jump_s
    rows = [f"{k // (n // 2)},{float(50 + 2 * a * np.cos(a))!r},{float(50 + 2 * a * np.sin(a))!r},"
            f"{float(tk)!r},0\n"
            for k, a, tk in zip(i, th, t)]
    path.write_text(CURIOUS + "".join(rows))
    return path


def read_curious(path):
    return penmotor.read(path, device=curious_device(150.0))


def features_peak(rec: Recording) -> tuple[dict, int]:
    """Features of `rec` and the peak traced memory (bytes) while computing them."""
    gc.collect()
    tracemalloc.start()
    try:
        f = penmotor.features(rec)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return f, peak


@pytest.fixture(scope="module")
def clean_peak(tmp_path_factory):
    """Peak memory of the features of an unbroken Curious file (after a warm-up run)."""
    rec = read_curious(curious_file(tmp_path_factory.mktemp("clean") / "[C1]x-spiral_trace1_Dom.csv"))
    penmotor.features(rec[:])  # warm the kernel caches (on a copy: a recording caches its own results)
    return features_peak(rec)


@pytest.mark.parametrize(
    "jump_at, jump_s, spike, glitches",
    [
        (120, 1.7e9, False, 1),  # the clock jumps 55 years inside the first stroke and stays there
        (120, 1.7e9, True, 2),  # one time stamp 55 years off (a flipped digit)
        (120, -1.7e9, False, 1),  # reset to near zero inside a stroke
        (120, -65.536, False, 1),  # 16-bit millisecond counter wrap inside a stroke
        (300, -1.7e9, True, 2),  # a spike backwards in the second stroke
    ],
)
def test_curious_glitch_splits_counts_warns_and_stays_small(tmp_path, clean_peak, jump_at, jump_s, spike,
                                                            glitches):
    p = curious_file(tmp_path / "[C1]x-spiral_trace1_Dom.csv", jump_at=jump_at, jump_s=jump_s, spike=spike)
    with pytest.warns(PenmotorWarning, match=r"\[C1\]x-spiral_trace1_Dom\.csv: .*glitch"):
        rec = read_curious(p)
    assert rec.timing.glitches == glitches
    assert rec.n_strokes == 2 + glitches  # each glitch splits a stroke
    assert len(rec) == 400 + 1 + glitches  # + the reader's pen-up between lines + one per glitch
    assert np.all(np.diff(rec.t) >= 0) and rec.duration < 5.0  # 4 s of drawing, not 55 years
    assert rec.timing.reordered == 0  # the later epoch is not shuffled into the earlier one
    # positions keep the order they were drawn in (no back-and-forth scribble from sorting)
    d = rec.pen_down
    np.testing.assert_allclose(np.sort(rec.x[d]), np.sort(read_curious(
        curious_file(tmp_path / "[C1]ok.csv")).x[read_curious(tmp_path / "[C1]ok.csv").pen_down]))
    f, peak = features_peak(rec)
    clean, clean_bytes = clean_peak
    assert peak < 1.5 * clean_bytes + (1 << 20), (peak, clean_bytes)  # O(samples), not O(time span)
    assert f["duration_total"] < 5.0 and f["stroke_count"] == 2 + glitches
    assert abs(f["ink_length"] - clean["ink_length"]) < 0.05 * clean["ink_length"]


def test_svc_glitch_in_a_real_file(tmp_path, shared_data):
    src = sorted((shared_data / "pahaw").glob("*/*.1_1.svc"))[0]
    lines = src.read_text().splitlines()
    rows = [ln.split() for ln in lines[1:]]
    down = [i for i, r in enumerate(rows) if r[3] == "1"]
    i = down[len(down) // 2]
    rows[i][2] = str(int(rows[i][2]) + 1_700_000_000_000)  # +1.7e9 s on one pen-down sample (ms clock)
    p = tmp_path / src.name
    p.write_text(lines[0] + "\n" + "".join(" ".join(r) + "\n" for r in rows))
    with pytest.warns(PenmotorWarning, match=src.name):
        rec = penmotor.read(p, format="svc", columns="bdalab", device="wacom-intuos4")
    good = penmotor.read(src, format="svc", columns="bdalab", device="wacom-intuos4")
    assert rec.timing.glitches == 2 and good.timing.glitches == 0
    assert rec.n_strokes == good.n_strokes + 2
    assert abs(rec.duration - good.duration) < 0.1
    penmotor.features(good[:])
    _, peak_good = features_peak(good)
    _, peak = features_peak(rec)
    assert peak < 1.5 * peak_good + (1 << 20)


def test_native_refuses_a_glitched_clock(tmp_path):
    ch = {k: np.zeros(4) for k in CHANNELS}
    ch["t"] = np.array([0.0, 0.01, 1.7e9, 1.7e9 + 0.01])
    ch["pen_down"] = np.ones(4, dtype=bool)
    p = tmp_path / "a.pmr"
    penmotor.write(Recording(ch), p)  # the internal constructor trusts its arrays; the reader does not
    with pytest.raises(FormatError, match="ch/t.npy.*jump"):
        penmotor.read(p)
    assert zipfile.is_zipfile(p)


def test_resample_refuses_a_grid_the_samples_cannot_fill():
    with pytest.raises(ParameterError, match=r"would need 3.4e\+11 grid points.*broken"):
        resample([0.0, 1.7e9], [0.0, 1.0], starts=[0], stops=[2], rate_hz=200.0)
    # a recording that slipped past the policy (internal constructor): a penmotor error, fast and small
    ch = {k: np.zeros(3) for k in CHANNELS}
    ch["t"] = np.array([0.0, 0.01, 1.7e9])
    ch["pen_down"] = np.ones(3, dtype=bool)
    tracemalloc.start()
    try:
        with pytest.raises(PenmotorError):
            penmotor.features(Recording(ch))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20
    # what the real data needs stays well inside the bound: 2 h of 200 Hz ink in 1.4 M samples
    t = np.arange(1_440_000) / 200.0
    tu, _, _, _, _ = resample(t, t, starts=[0], stops=[t.size], rate_hz=200.0)
    assert tu.size == t.size


def test_real_recordings_only_two_clock_resets(shared_data):
    """Of the 331 real recordings, two have a clock reset inside a stroke (UCI, 1.3 s and 5.6 s
    backwards). Sorting used to shuffle the two epochs into one scribble (6,582 and 578,992
    self-intersections); now the stroke is cut and the ink keeps its drawn order."""
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenmotorWarning)
        for f in sorted((shared_data / "uci_spiral").glob("*/*.txt")):
            for r in penmotor.read(f, format="uci"):
                if r.timing.glitches:
                    found[(f.name, r.meta["task"])] = r
        for f in sorted((shared_data / "pahaw").glob("*/*.svc")):
            assert penmotor.read(f, format="svc", columns="bdalab", device="wacom-intuos4").timing.glitches == 0
    assert sorted(found) == [("P_05060004.txt", "static_spiral"), ("P_09100005.txt", "dynamic_spiral")]
    for r in found.values():
        assert r.timing.glitches == 1 and r.timing.reordered == 0
        assert penmotor.features(r, names=["self_intersections"])["self_intersections"] <= 2


@given(
    t=st.lists(st.one_of(st.floats(0, 100), st.floats(-1e12, 1e12)), min_size=1, max_size=40),
    pen=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_policy_bounds_the_span_and_is_idempotent(t, pen):
    n = len(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenmotorWarning)
        rec = Recording.from_arrays(t=t, x=np.arange(n), y=np.zeros(n), pen_down=pen[:n])
    assert rec.timing.glitches == glitch_steps(t, pen[:n]).size
    assert len(rec) == n - rec.timing.duplicates_merged + rec.timing.glitches
    assert np.all(np.diff(rec.t) >= 0)
    assert np.all(np.diff(rec.t) <= GLITCH_JUMP_S)  # no step the next pass would cut
    again = Recording.from_arrays(rec.t, rec.x, rec.y, pen_down=rec.pen_down)
    assert again.timing.glitches == 0 and again == rec
