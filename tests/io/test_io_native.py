"""Native .pmr format: exact round trip of everything, atomic writes, corrupt files."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings

import penmotor
from penmotor import FormatError, ParameterError, Recording
from penmotor.io.native import read_native, write_native

from io_strategies import assert_round_trip, assert_same, recordings


@settings(max_examples=40)
@given(rec=recordings(strings=True))
def test_round_trip_is_exact(tmp_path_factory, rec):
    assert_round_trip(rec, tmp_path_factory.mktemp("pmr") / "r.pmr")


def test_round_trip_of_rich_meta_and_timing(tmp_path):
    rec = Recording.from_arrays(
        t=[0, 0.02, 0.01, 0.01], x=[0, 2, 1, 1], y=[0, 0, 0, 0], pressure=[np.nan] * 4,
        device="pahaw", raw={"x": np.array([0, 80, 40, 40], dtype=np.int32)},
        meta={"subject": "C001", "session": 3, "date": dt.date(2026, 1, 12),
              "when": dt.datetime(2026, 1, 12, 9, 30), "scores": (1, 2.5, None),
              "nested": {"a": [1, {"b": "ü"}], "nan": float("nan")}, "clock": "monotonic"},
    )
    assert rec.timing.reordered == 1 and rec.timing.duplicates_merged == 1
    p = tmp_path / "r.pmr"
    write_native(rec, p)
    back = read_native(p)
    assert back.meta["scores"] == (1, 2.5, None) and isinstance(back.meta["date"], dt.date)
    assert np.isnan(back.meta["nested"]["nan"])
    assert back.raw["x"].dtype == np.int32
    assert back.timing == rec.timing
    assert back.device == penmotor.DEVICES["pahaw"]


def test_is_a_plain_zip_of_npy_with_json(tmp_path):
    rec = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0], extra={"az": [1.0, 2.0]})
    p = tmp_path / "r.pmr"
    write_native(rec, p)
    with zipfile.ZipFile(p) as zf:
        names = zf.namelist()
        assert names[0] == "penmotor.json"
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        doc = json.loads(zf.read("penmotor.json"))
    assert doc["format_version"] == 1 and "extra/az.npy" in names
    assert np.load(p, allow_pickle=False)["ch/x"].tolist() == [0.0, 1.0]


def test_atomic_write_leaves_no_temp_and_keeps_old_file_on_error(tmp_path):
    p = tmp_path / "r.pmr"
    good = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0])
    write_native(good, p)
    bad = good.with_meta(obj=object())
    with pytest.raises(ParameterError, match="obj"):
        write_native(bad, p)
    assert read_native(p) == good
    assert [f.name for f in tmp_path.iterdir()] == ["r.pmr"]


@pytest.mark.parametrize("payload", [b"", b"not a zip", b"PK\x03\x04garbage"])
def test_not_a_pmr(tmp_path, payload):
    p = tmp_path / "x.pmr"
    p.write_bytes(payload)
    with pytest.raises(FormatError):
        read_native(p)


def _rewrite(src, dst, *, drop=None, doc_edit=None, replace=None):
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
        for name in zi.namelist():
            if name == drop:
                continue
            data = zi.read(name)
            if name == "penmotor.json" and doc_edit:
                d = json.loads(data)
                doc_edit(d)
                data = json.dumps(d).encode()
            if replace and name in replace:
                data = replace[name]
            zo.writestr(name, data)


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"drop": "ch/x.npy"}, "ch/x.npy"),
        ({"doc_edit": lambda d: d.update(format_version=99)}, "format_version"),
        ({"doc_edit": lambda d: d.update(n_samples=5)}, "ch/t.npy"),
        ({"doc_edit": lambda d: d.update(magic="x")}, "magic"),
        ({"replace": {"ch/y.npy": b"\x93NUMPY garbage"}}, "ch/y.npy"),
        ({"replace": {"penmotor.json": b"{not json"}}, "penmotor.json"),
    ],
)
def test_corrupt_members_name_the_field(tmp_path, kw, field):
    src = tmp_path / "a.pmr"
    write_native(Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0]), src)
    dst = tmp_path / "b.pmr"
    _rewrite(src, dst, **kw)
    with pytest.raises(FormatError) as ei:
        read_native(dst)
    assert ei.value.field == field


def test_real_pahaw_round_trip(shared_data, tmp_path):
    f = sorted((shared_data / "pahaw").glob("PD-male/*.svc"))[0]
    rec = penmotor.read(f)
    penmotor.write(rec, tmp_path / "r.pmr")
    assert_same(rec, penmotor.read(tmp_path / "r.pmr"))
