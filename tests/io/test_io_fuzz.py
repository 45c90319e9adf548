"""Every reader, fed random bytes and random well-formed-but-odd files, returns a Recording
(or a list of them) or raises a PenmotorError -- never anything else."""

from __future__ import annotations

import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import penmotor
from penmotor import PenmotorError, Recording
from penmotor.io.curious import curious_device

READERS = {
    "svc": dict(format="svc", columns="bdalab", device="wacom-intuos4"),
    "uci": dict(format="uci"),
    "curious": dict(format="curious", device=curious_device(150.0)),
    "inkml": dict(format="inkml"),
    "native": dict(format="native"),
}
FUZZ = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(path, kw):
    try:
        out = penmotor.read(path, **kw)
    except PenmotorError:
        return None
    recs = out if isinstance(out, list) else [out]
    assert recs and all(isinstance(r, Recording) for r in recs)
    return recs


@pytest.mark.parametrize("fmt", sorted(READERS))
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path, fmt, data):
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    _check(p, READERS[fmt])


@pytest.mark.parametrize("fmt", sorted(READERS))
@FUZZ
@given(text=st.text(alphabet="0123456789 ;,.-+\n\tenaif?'\"!*TF<>/=", max_size=300))
def test_random_text_of_format_characters(tmp_path, fmt, text):
    p = tmp_path / "f.txt"
    p.write_text(text)
    _check(p, READERS[fmt])


NUM = st.one_of(
    st.integers(-10**6, 10**6), st.integers(-(10**18), 10**18),
    st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False), st.just(0),
)


@FUZZ
@given(rows=st.lists(st.tuples(*[NUM] * 7), min_size=1, max_size=20), dup=st.booleans(),
       count_delta=st.sampled_from([0, 0, 0, 1, -1]))
def test_odd_svc(tmp_path, rows, dup, count_delta):
    if dup:  # duplicate time stamps
        rows = [r[:2] + (rows[0][2],) + r[3:] for r in rows]
    p = tmp_path / "f.svc"
    p.write_text(f"{len(rows) + count_delta}\n" + "".join(" ".join(map(str, r)) + "\n" for r in rows))
    recs = _check(p, READERS["svc"])
    if count_delta == 0 and recs is not None:
        assert len(recs[0]) + recs[0].timing.duplicates_merged - recs[0].timing.glitches == len(rows)


@FUZZ
@given(rows=st.lists(st.tuples(*[NUM] * 6, st.integers(-3, 5)), min_size=1, max_size=20))
def test_odd_uci(tmp_path, rows):
    p = tmp_path / "C_0001.txt"
    p.write_text("".join(";".join(map(str, r)) + "\n" for r in rows))
    recs = _check(p, READERS["uci"])
    if recs is not None:
        assert sum(len(r) + r.timing.duplicates_merged - r.timing.glitches for r in recs) == len(rows)


@FUZZ
@given(rows=st.lists(st.tuples(st.integers(-2, 3), NUM, NUM, NUM), min_size=1, max_size=20))
def test_odd_curious(tmp_path, rows):
    p = tmp_path / "[1]x-spiral_trace1_Dom.csv"
    p.write_text("line_number,x,y,UTC_Timestamp\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    _check(p, READERS["curious"])


TOKEN = st.one_of(NUM.map(str), st.sampled_from(["?", "*", "T", "F", "'1", '"-2', "!3", "'", "1-2", ""]))


@FUZZ
@given(traces=st.lists(st.tuples(st.lists(st.lists(TOKEN, min_size=1, max_size=4), max_size=5),
                                 st.sampled_from(["penDown", "penUp", "indeterminate", "x"])),
                       max_size=4),
       units=st.sampled_from(["mm", "cm", "", "dev", "furlong"]))
def test_odd_inkml(tmp_path, traces, units):
    body = "".join(f'<trace type="{ty}">{", ".join(" ".join(pt) for pt in pts)}</trace>' for pts, ty in traces)
    p = tmp_path / "f.inkml"
    p.write_text(
        '<ink xmlns="http://www.w3.org/2003/InkML"><traceFormat>'
        f'<channel name="X" units="{units}"/><channel name="Y" units="{units}"/>'
        f'<channel name="T" units="s"/></traceFormat>{body}</ink>'
    )
    _check(p, READERS["inkml"])


@FUZZ
@given(members=st.dictionaries(st.sampled_from(["penmotor.json", "ch/t.npy", "ch/x.npy", "raw/a.npy", "z"]),
                               st.binary(max_size=80), max_size=4))
def test_odd_native(tmp_path, members):
    p = tmp_path / "f.pmr"
    with zipfile.ZipFile(p, "w") as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    _check(p, READERS["native"])
