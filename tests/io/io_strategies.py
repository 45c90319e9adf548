"""Hypothesis strategies and comparison helpers shared by the reader/writer tests."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
from hypothesis import strategies as st

from penmotor import Device, PenmotorWarning, Recording
from penmotor.recording import CHANNELS

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8).filter(
    lambda s: not (s.startswith("__") and s.endswith("__"))
)
FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
MAYBE_NAN = st.one_of(st.just(float("nan")), st.floats(-1e3, 1e3, allow_nan=False))
META_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
META = st.recursive(
    META_SCALAR,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(NAMES, kids, max_size=3)),
    max_leaves=8,
)


@st.composite
def devices(draw):
    if draw(st.booleans()):
        return None
    res = st.one_of(st.none(), st.floats(0.01, 1e4))
    pr = draw(st.one_of(st.none(), st.tuples(st.floats(-10, 10), st.floats(20, 1e5))))
    return Device(
        draw(st.text(max_size=30)), draw(res), draw(res), pr,
        draw(st.one_of(st.none(), st.floats(0.001, 10))), draw(st.floats(-100, 100)),
        draw(st.one_of(st.none(), st.floats(1, 1000))), draw(st.floats(1e-6, 10)), draw(st.text(max_size=40)),
    )


@st.composite
def recordings(draw, *, max_n: int = 30, strings: bool = False):
    """Random valid Recordings: duplicates/ties in t, NaN pressure and tilt, extra, raw, meta, device."""
    n = draw(st.integers(1, max_n))
    t = draw(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=n, max_size=n))
    if draw(st.booleans()):
        t = sorted(t)
    x = draw(st.lists(FINITE, min_size=n, max_size=n))
    y = draw(st.lists(FINITE, min_size=n, max_size=n))
    pressure = draw(st.one_of(st.none(), st.lists(st.one_of(st.just(float("nan")), st.floats(0, 1)),
                                                  min_size=n, max_size=n)))
    tilt_x = draw(st.one_of(st.none(), st.lists(MAYBE_NAN, min_size=n, max_size=n)))
    tilt_y = draw(st.one_of(st.none(), st.lists(MAYBE_NAN, min_size=n, max_size=n)))
    pen = draw(st.one_of(st.none(), st.lists(st.booleans(), min_size=n, max_size=n)))
    extra = draw(st.dictionaries(NAMES, st.lists(MAYBE_NAN, min_size=n, max_size=n), max_size=2))
    raw = {}
    for k in draw(st.lists(NAMES, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["i", "f", "b"] + (["U"] if strings else [])))
        if kind == "i":
            raw[k] = np.array(draw(st.lists(st.integers(-(2**31), 2**31), min_size=n, max_size=n)), dtype=np.int64)
        elif kind == "f":
            raw[k] = np.array(draw(st.lists(MAYBE_NAN, min_size=n, max_size=n)), dtype=np.float64)
        elif kind == "b":
            raw[k] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        else:
            raw[k] = np.array(draw(st.lists(st.text(alphabet="abc ~-", max_size=5), min_size=n, max_size=n)),
                              dtype=str)
    meta = draw(st.dictionaries(NAMES, META, max_size=4))
    dev = draw(devices())
    with warnings.catch_warnings():  # random time stamps jump by hours: glitches (tests/test_glitches.py)
        warnings.simplefilter("ignore", PenmotorWarning)
        return Recording.from_arrays(t, x, y, pressure, tilt_x, tilt_y, pen, device=dev,
                                     meta=meta, raw=raw, extra=extra)


def _eq_nan(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def assert_same(a: Recording, b: Recording, *, raw_dtype: bool = True) -> None:
    """Every channel, raw, extra, meta, device and timing equal (NaN == NaN)."""
    assert len(a) == len(b)
    for k in CHANNELS:
        ca, cb = a.channel(k), b.channel(k)
        assert ca.dtype == cb.dtype, k
        assert np.array_equal(ca, cb, equal_nan=ca.dtype.kind == "f"), k
    assert sorted(a.raw) == sorted(b.raw)
    for k in a.raw:
        ra, rb = np.asarray(a.raw[k]), np.asarray(b.raw[k])
        if raw_dtype:
            assert ra.dtype == rb.dtype, (k, ra.dtype, rb.dtype)
        assert np.array_equal(ra, rb, equal_nan=ra.dtype.kind == "f"), k
    assert sorted(a.extra) == sorted(b.extra)
    for k in a.extra:
        assert np.array_equal(a.extra[k], b.extra[k], equal_nan=True), k
    assert dict(a.meta) == dict(b.meta)
    assert a.device == b.device
    for f in dataclasses.fields(a.timing):
        assert _eq_nan(getattr(a.timing, f.name), getattr(b.timing, f.name)), f.name


def assert_round_trip(rec: Recording, path) -> Recording:
    """Write `rec` to `path` (format from the suffix), read it back: equal and the same in every part."""
    import penmotor

    penmotor.write(rec, path)
    back = penmotor.read(path)
    assert back == rec
    assert_same(rec, back)
    return back
