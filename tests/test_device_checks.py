"""Device sanity checks (devices.check_device, run by Recording.from_raw): warn, record, never rescale."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import penmotor
from penmotor import Device, PenmotorWarning, Recording
from penmotor.devices import check_device
from penmotor.recording import get_device


def read_quiet(path, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = penmotor.read(path, **kw)
    return got, [x for x in w if issubclass(x.category, PenmotorWarning)]


@pytest.fixture(scope="module")
def pahaw_file(shared_data):
    files = sorted((shared_data / "pahaw").glob("*/*.9_1.svc"))
    if not files:
        pytest.skip("no PaHaW sentence files")
    return files[0]


def test_real_data_with_the_right_presets_pass(shared_data):
    n = 0
    glitched = set()
    for f in sorted((shared_data / "pahaw").glob("*/*.svc")) + sorted((shared_data / "uci_spiral").glob("*/*.txt")):
        got, w = read_quiet(f)
        # the time-stamp policy's own warning (real in-stroke clock resets) is not a device check
        clock = [x for x in w if "time-stamp glitch" in str(x.message)]
        if clock:
            glitched.add(f.stem)
        w = [x for x in w if x not in clock]
        assert not w, f"{f}: {[str(x.message) for x in w]}"
        for r in got if isinstance(got, list) else [got]:
            assert "checks" not in r.meta
            n += 1
    assert n > 150
    assert glitched <= {"P_05060004", "P_09100005"}   # the two UCI files with real clock resets


def test_pressure_saturating_below_the_preset(pahaw_file):
    rec = penmotor.read(pahaw_file)
    raw = {k: np.asarray(v) for k, v in rec.raw.items()}
    raw["pressure"] = np.minimum(raw["pressure"], 511)  # a 0..511 pen read with the 0..2048 preset
    with pytest.warns(PenmotorWarning, match=r"child\.svc: device 'PaHaW.*saturates at 511") as w:
        bad = Recording.from_raw(raw, "pahaw", pen_down=rec.pen_down, source="child.svc")
    assert len(w) == 1
    (c,) = bad.meta["checks"]
    assert c["check"] == "pressure_saturation" and c["raw_max"] == 511 and c["device_max"] == 2048
    assert c["share_at_max"] > 0.1
    # nothing rescaled: the pressures are the raw values over the preset's range
    assert bad.pressure.max() == pytest.approx(511 / 2048)
    assert penmotor.features(bad, names=["pressure_near_max_share"])["pressure_near_max_share"] == 0.0


def test_effective_rate_far_from_nominal(shared_data):
    files = sorted((shared_data / "uci_spiral").glob("*/*.txt"))
    if not files:
        pytest.skip("no UCI files")
    wrong = dataclasses.replace(get_device("uci-cintiq12wx"), nominal_rate_hz=200.0)
    got, w = read_quiet(files[0], device=wrong)
    assert w and all("Hz" in str(x.message) and files[0].name in str(x.message) for x in w)
    for r in got:
        (c,) = r.meta["checks"]
        assert c["check"] == "sampling_rate" and c["nominal_rate_hz"] == 200.0
        assert 100 < c["effective_rate_hz"] < 150  # what the data show
        assert r.timing.effective_rate_hz == c["effective_rate_hz"]


def test_positions_outside_the_area(pahaw_file):
    wrong = dataclasses.replace(get_device("pahaw"), x_resolution=8.0, y_resolution=8.0)  # 5x too large
    rec, w = read_quiet(pahaw_file, device=wrong)
    assert len(w) == 1 and "outside the 223.5 x 139.7 mm active area" in str(w[0].message)
    (c,) = rec.meta["checks"]
    assert c["check"] == "position_range" and c["share_outside"] > 0.5
    right = penmotor.read(pahaw_file)
    assert rec.x == pytest.approx(5 * right.x)  # used as they are


def test_checks_survive_a_native_round_trip(tmp_path, pahaw_file):
    rec = penmotor.read(pahaw_file)
    raw = {k: np.asarray(v) for k, v in rec.raw.items()}
    raw["pressure"] = np.minimum(raw["pressure"], 1023)
    with pytest.warns(PenmotorWarning):
        bad = Recording.from_raw(raw, "pahaw", pen_down=rec.pen_down)
    penmotor.write(bad, tmp_path / "a.pmr")
    back = penmotor.read(tmp_path / "a.pmr")
    assert back.meta["checks"][0]["check"] == "pressure_saturation"


def test_device_area_round_trips_and_validates():
    dev = Device("x", 10.0, 10.0, area_mm=(100, 50))
    assert Device.from_dict(dev.to_dict()) == dev and dev.area_mm == (100.0, 50.0)
    with pytest.raises(penmotor.ParameterError, match="area_mm"):
        Device("x", 10.0, 10.0, area_mm=(100, -1))


def test_a_light_or_constant_pressure_is_not_saturation(pahaw_file):
    rec = penmotor.read(pahaw_file)
    raw = {k: np.asarray(v) for k, v in rec.raw.items()}
    light = raw.copy()
    light["pressure"] = (raw["pressure"] * 0.4).astype(np.int64)  # never presses hard: no pile-up
    flat = raw.copy()
    flat["pressure"] = np.where(rec.pen_down, 700, 0)  # constant 700: a pile-up, but not at a full scale
    for r in (light, flat):
        with warnings.catch_warnings():
            warnings.simplefilter("error", PenmotorWarning)
            assert "checks" not in Recording.from_raw(r, "pahaw", pen_down=rec.pen_down).meta
    assert penmotor.synth.handwriting("abc", pressure_sd=0.0, seed=1).meta.get("checks") is None


def test_no_device_no_check():
    rec = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0])
    assert check_device(rec) == []
