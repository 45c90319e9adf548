"""penmotor.metrics.spiral against synthetic Archimedean spirals and real PaHaW / UCI spirals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import Recording, read, synth
from penmotor.metrics import spiral

from test_sizing import transformed

ALL = (spiral.spiral_tightness, spiral.spiral_rms_deviation, spiral.spiral_smoothness_1,
       spiral.spiral_smoothness_2, spiral.spiral_zero_crossing_rate, spiral.spiral_loop_width_cv)


@given(b=st.floats(0.6, 3.0), turns=st.floats(2.0, 5.0), amp=st.sampled_from([0.0, 0.1, 0.3]),
       seed=st.integers(0, 10_000))
@settings(max_examples=25)
def test_fit_recovers_tightness_centre_and_deviation(b, turns, amp, seed):
    rec = synth.spiral(tightness_mm_per_rad=b, turns=turns, tremor_hz=6.0 if amp else None,
                       tremor_amplitude_mm=amp, seed=seed)
    tr = rec.meta["truth"]
    fit = spiral.spiral_fit(rec)
    assert fit.valid
    assert spiral.spiral_tightness(rec) == pytest.approx(b, rel=0.02)
    assert math.hypot(fit.cx - tr["spiral_centre_x"], fit.cy - tr["spiral_centre_y"]) < 0.1
    assert spiral.spiral_rms_deviation(rec) == pytest.approx(tr["spiral_rms_deviation"], rel=0.1, abs=0.005)


def test_smoothness_zero_crossings_and_loop_width_grow_with_tremor():
    calm = synth.spiral(seed=1)
    shaky = synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=1)
    assert spiral.spiral_smoothness_1(calm) < 0.05 < 1.0 < spiral.spiral_smoothness_1(shaky)
    assert spiral.spiral_smoothness_2(calm) < 1.0 < 10.0 < spiral.spiral_smoothness_2(shaky)
    assert spiral.spiral_zero_crossing_rate(calm) == 0.0
    # a 6 Hz tremor over 3 turns in 8 s: ~16 cycles, ~32 sign changes per turn
    assert spiral.spiral_zero_crossing_rate(shaky) == pytest.approx(32, rel=0.25)
    assert spiral.spiral_loop_width_cv(calm) < 0.01 < spiral.spiral_loop_width_cv(shaky)


@given(angle=st.floats(-180, 180), dx=st.floats(-100, 100), dy=st.floats(-100, 100), dt=st.floats(0, 1e4))
@settings(max_examples=15)
def test_invariant_to_rotation_translation_time_shift(angle, dx, dy, dt):
    rec = synth.tremor_spiral(freq_hz=5.0, amplitude_mm=0.2, seed=3)
    moved = transformed(rec, angle_deg=angle, dx=dx, dy=dy, dt=dt)
    for f in ALL:
        assert f(moved) == pytest.approx(f(rec), rel=0.02, abs=1e-3)


def test_clockwise_and_inward_spirals():
    rec = synth.spiral(tightness_mm_per_rad=1.8, seed=4)
    mirrored = Recording.from_arrays(rec.t, -rec.x, rec.y, rec.pressure, pen_down=rec.pen_down)
    inward = Recording.from_arrays(rec.t[-1] - rec.t[::-1], rec.x[::-1], rec.y[::-1], rec.pressure[::-1],
                                   pen_down=rec.pen_down[::-1])
    for r in (mirrored, inward):
        assert spiral.spiral_tightness(r) == pytest.approx(1.8, rel=0.01)
        assert spiral.spiral_rms_deviation(r) < 0.01
    assert spiral.spiral_fit(mirrored).b < 0 < spiral.spiral_fit(rec).b


@pytest.mark.parametrize(
    "rec",
    [
        Recording.from_arrays(t=[0.0], x=[1.0], y=[2.0]),
        Recording.from_arrays(t=[0, 0.01, 0.02, 0.03], x=[0, 1, 2, 3], y=[0, 5, 0, 5], pen_down=[1, 0, 1, 0]),
        Recording.from_arrays(t=np.arange(100) * 0.01, x=np.arange(100.0), y=np.zeros(100)),  # a line
        Recording.from_arrays(t=np.arange(50) * 0.01, x=np.zeros(50), y=np.zeros(50), pen_down=np.zeros(50)),
        Recording.from_arrays(t=np.arange(50) * 0.01, x=np.zeros(50), y=np.zeros(50)),  # a dot
        synth.handwriting("hello world", seed=0),  # text task
    ],
    ids=["one-point", "one-point-strokes", "line", "all-in-air", "dot", "sentence"],
)
def test_not_a_spiral_gives_nan(rec):
    for f in ALL:
        assert math.isnan(f(rec))


def test_pahaw_spirals_are_plausible(pahaw_spiral_files):
    for p in pahaw_spiral_files:
        rec = read(p, columns="pahaw", device="pahaw")
        fit = spiral.spiral_fit(rec)
        assert fit.valid, p.name
        assert 0.3 < spiral.spiral_tightness(rec) < 3.0  # mm/rad: loops 2-19 mm apart
        assert 0.0 < spiral.spiral_rms_deviation(rec) < 5.0
        assert fit.turns > 2
        for f in ALL:
            assert np.isfinite(f(rec)), (p.name, f.__name__)


def test_uci_spirals_are_plausible(shared_data):
    files = sorted((shared_data / "uci_spiral").glob("*/*.txt"))[::5]
    if not files:
        pytest.skip("no UCI spiral files")
    n = valid = 0
    for p in files:
        for rec in read(p, format="uci"):
            if "spiral" not in str(rec.meta.get("task", "spiral")):
                continue
            n += 1
            b = spiral.spiral_tightness(rec)
            if math.isnan(b):  # e.g. an unfinished spiral of about one turn
                continue
            valid += 1
            assert 0.3 < b < 6.0, p.name
            # some H_P000-* spirals come out as flat ellipses (x/y scaling of the UCI
            # device preset?) and deviate by up to ~10 mm from any Archimedean spiral
            assert 0.0 < spiral.spiral_rms_deviation(rec) < 12.0, p.name
            assert all(np.isfinite(f(rec)) for f in ALL), p.name
    assert n > 0 and valid >= 0.8 * n


@given(th=st.lists(st.floats(-math.pi, math.pi), min_size=0, max_size=60))
def test_unwrap_matches_numpy(th):
    a = np.array(th, dtype=float)
    np.testing.assert_allclose(spiral._unwrap(a), np.unwrap(a), rtol=0, atol=1e-12)


def test_model_jacobian_is_scipys_two_point_difference():
    # _Model.jac must reproduce least_squares' default jac="2-point", so that the fit takes
    # the same iterations as it would with the default Jacobian
    from scipy.optimize._numdiff import approx_derivative

    rec = synth.spiral(tightness_mm_per_rad=1.3, turns=3.0, seed=4)
    x, y = rec.x[rec.pen_down], rec.y[rec.pen_down]
    model = spiral._Model(x, y)
    for c in (np.array([x.mean(), y.mean()]), np.array([x[5] + 0.3, y[5] - 0.2]), np.array([-40.0, 7.0])):
        f = lambda cc: model._residual(float(cc[0]), float(cc[1]))  # noqa: E731
        want = approx_derivative(f, c, method="2-point", f0=f(c))
        np.testing.assert_allclose(model.jac(c), want, rtol=1e-12, atol=0)
        np.testing.assert_allclose(model.residual(c), spiral._project(x, y, c)[0], rtol=0, atol=1e-9)


def test_fit_stops_a_centre_that_drifts_away():
    # a straight stroke: the centroid start runs off to "infinity" (a line is a circle of
    # infinite radius); the fit must give up there instead of spending its 200 evaluations
    t = np.arange(0, 2, 0.005)
    rec = Recording.from_arrays(t=t, x=40 + 30 * t, y=50 + 0.2 * np.sin(3 * t))
    model = spiral._Model(rec.x, rec.y, (0.0, 100.0, 0.0, 100.0))
    with pytest.raises(spiral._Diverged):
        model.jac(np.array([500.0, 50.0]))
    assert not spiral.spiral_fit(rec).valid
