"""features() / features_table() / FEATURES across ALL registered families, incl. degenerate input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import penmotor
from penmotor import FEATURES, ParameterError, PenmotorWarning, Recording, features, features_table

REQUIRED = {
    "speed_mean": "mm/s", "pressure_mean": "1", "in_air_ratio": "1", "tremor_frequency": "Hz",
    "tremor_amplitude": "mm", "x_height": "mm", "word_spacing": "mm", "slant": "deg",
    "spiral_tightness": "mm/rad", "spiral_rms_deviation": "mm", "duration_total": "s", "stroke_count": "1",
}
MINE = ("kinematics", "pressure", "temporal", "geometry")


def _degenerate() -> dict[str, Recording]:
    t5 = np.arange(5) * 0.004
    cases = {
        "empty": Recording.from_arrays(t=[], x=[], y=[]),
        "one_sample": Recording.from_arrays(t=[0.0], x=[1.0], y=[2.0], pressure=[0.5]),
        "two_samples": Recording.from_arrays(t=[0.0, 0.01], x=[0.0, 1.0], y=[0.0, 0.0]),
        "tied_times": Recording.from_arrays(t=[0.0, 0.0, 0.0], x=[0.0, 1.0, 2.0], y=[0.0, 0.5, 0.0]),
        "very_short": Recording.from_arrays(t=t5, x=t5 * 10, y=t5, pressure=np.full(5, 0.3)),
        "one_point_strokes": Recording.from_arrays(
            t=np.arange(40) * 0.01, x=np.arange(40.0), y=np.zeros(40),
            pressure=np.tile([0.4, 0.0], 20), pen_down=np.tile([True, False], 20)),
        "all_in_air": Recording.from_arrays(t=np.arange(50) * 0.01, x=np.arange(50.0), y=np.zeros(50),
                                            pen_down=np.zeros(50, bool)),
        "stationary": Recording.from_arrays(t=np.arange(300) * 0.005, x=np.full(300, 3.0), y=np.full(300, 4.0),
                                            pressure=np.full(300, 0.5)),
        "no_pressure_no_air": Recording.from_arrays(
            t=np.arange(400) * 0.005, x=np.sin(np.arange(400) * 0.05) * 5, y=np.cos(np.arange(400) * 0.03)),
        "long_gap": Recording.from_arrays(t=np.r_[np.arange(50) * 0.01, 1000 + np.arange(50) * 0.01],
                                          x=np.r_[np.arange(50.0), np.arange(50.0)], y=np.zeros(100),
                                          pen_down=np.r_[np.ones(50, bool), np.zeros(3, bool), np.ones(47, bool)]),
        "full_pressure": Recording.from_arrays(t=np.arange(100) * 0.01, x=np.arange(100.0), y=np.zeros(100),
                                               pressure=np.ones(100)),
    }
    return cases


DEGENERATE = _degenerate()


def test_required_names_and_units():
    for name, unit in REQUIRED.items():
        if name not in FEATURES:
            pytest.fail(f"required feature {name!r} is not registered")
        assert FEATURES[name].unit == unit, name


def test_registry_entries_are_complete():
    for name, info in FEATURES.items():
        assert info.unit, name
        assert info.better in (None, "lower", "higher"), name
        assert info.family, name
        if info.func is not None:
            assert info.description, f"{name}: no one-line description"
    fams = set(FEATURES.families())
    assert set(MINE) <= fams
    frame = FEATURES.to_frame()
    assert frame.loc["speed_mean", "family"] == "kinematics"


@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_input_never_raises(case):
    rec = DEGENERATE[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # features() must contain numpy noise
        f = features(rec)
    online = [n for n, i in FEATURES.items() if i.func is not None]
    assert set(f) == set(online)
    for name, v in f.items():
        assert isinstance(v, float), (name, v)
        assert not (isinstance(v, float) and math.isinf(v) and name.endswith(("_mean", "_median"))), name


def test_degenerate_values_that_must_be_nan():
    f = features(DEGENERATE["one_sample"])
    for name in ("speed_mean", "duration_total", "in_air_ratio", "jerk_p95", "normalized_jerk"):
        assert math.isnan(f[name]), name
    f = features(DEGENERATE["no_pressure_no_air"])
    assert math.isnan(f["pressure_mean"]) and math.isnan(f["air_speed_mean"])
    assert f["in_air_ratio"] == 0.0 and f["speed_mean"] > 0
    f = features(DEGENERATE["all_in_air"])
    assert math.isnan(f["speed_mean"]) and math.isnan(f["in_air_ratio"]) and f["air_speed_mean"] > 0
    f = features(DEGENERATE["stationary"])
    assert f["speed_mean"] == pytest.approx(0.0, abs=1e-9)
    assert math.isnan(f["normalized_jerk"])  # zero path length: undefined
    f = features(DEGENERATE["full_pressure"])
    assert f["pressure_near_max_share"] == 1.0


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 60),
    seed=st.integers(0, 10_000),
    p_down=st.floats(0, 1),
    has_pressure=st.booleans(),
)
def test_random_small_recordings_never_raise(n, seed, p_down, has_pressure):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.choice([0.0, 0.004, 0.007, 0.5], n, p=[0.1, 0.5, 0.35, 0.05]))
    pd = rng.random(n) < p_down
    p = np.where(pd, rng.uniform(0.01, 1, n), 0.0) if has_pressure else None
    rec = Recording.from_arrays(t=t, x=rng.normal(0, 5, n), y=rng.normal(0, 5, n), pressure=p, pen_down=pd)
    f = features(rec)  # every registered family, not only this engineer's
    assert all(isinstance(v, float) for v in f.values())


def test_features_table_keeps_meta_and_survives_bad_rows():
    recs = [r.with_meta(subject=f"S{i}", session=i) for i, r in enumerate(DEGENERATE.values())]
    with warnings.catch_warnings():
        warnings.simplefilter("error", PenmotorWarning)  # no row may fail
        df = features_table(recs, families=MINE)
    assert len(df) == len(recs)
    assert df["subject"].tolist() == [f"S{i}" for i in range(len(recs))]
    assert "error" not in df.columns
    assert df.attrs["units"]["speed_mean"] == "mm/s"


def test_family_and_name_selection():
    rec = DEGENERATE["no_pressure_no_air"]
    f = features(rec, families="temporal")
    assert {FEATURES[n].family for n in f} == {"temporal"}
    f = features(rec, names=["speed_mean", "stroke_count"])
    assert set(f) == {"speed_mean", "stroke_count"}
    with pytest.raises(ParameterError, match="families"):
        features(rec, families="no-such-family")
    with pytest.raises(ParameterError, match="rec"):
        features("not a recording")  # type: ignore[arg-type]


def test_all_families_on_synthetic_handwriting():
    if not hasattr(penmotor.synth, "handwriting"):
        pytest.skip("synth not available")
    rec = penmotor.synth.handwriting("hello world", seed=3)
    f = features(rec)
    for name in ("speed_mean", "pressure_mean", "in_air_ratio", "duration_total", "stroke_count",
                 "ink_length", "normalized_jerk", "pause_count"):
        assert np.isfinite(f[name]), name
    assert f["stroke_count"] >= 5


def test_every_metric_has_a_plain_language_label() -> None:
    # the report shows these instead of code names; a metric added without one fails here
    from penmotor import FEATURES

    missing = [n for n in FEATURES if not FEATURES[n].label]
    assert not missing
    assert FEATURES["niv"].title == "Speed changes per stroke"
    assert FEATURES["ink_length"].depends_on_text and not FEATURES["x_height"].depends_on_text
