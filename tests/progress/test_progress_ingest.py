"""penmotor.progress.ingest: files and recordings -> session rows (nothing written here)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from penmotor import FormatError, ParameterError, Recording, synth, write
from penmotor.progress.ingest import as_date, decode_ink, encode_ink, file_sessions, file_sha256, recording_session


def test_stored_content_is_not_even_read(tmp_path: Path) -> None:
    p = tmp_path / "garbage.pmr"
    p.write_bytes(b"not a recording")
    seen = []
    assert file_sessions(p, "C001", is_stored=lambda h: seen.append(h) or True) is None
    assert seen == [file_sha256(p)]
    with pytest.raises(FormatError):                 # not stored: read, and refused
        file_sessions(p, "C001")


def test_missing_file_and_other_childs_recording(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        file_sessions(tmp_path / "nope.pmr", "C001")
    p = tmp_path / "x.pmr"
    write(synth.handwriting("ab", seed=1).with_meta(subject="C002"), p)
    with pytest.raises(FormatError, match="belongs to subject 'C002'"):
        file_sessions(p, "C001", featurize=lambda rec: {})


def test_rows_carry_date_task_and_values(tmp_path: Path) -> None:
    p = tmp_path / "copy_1.pmr"
    write(synth.handwriting("ab", seed=1).with_meta(date="2026-03-04", task="copy"), p)
    digest, rows = file_sessions(p, "C001", featurize=lambda rec: {"n": float(len(rec))})
    (row,) = rows
    assert digest == file_sha256(p)
    assert row["date"] == dt.date(2026, 3, 4) and row["task"] == "copy" and row["modality"] == "online"
    assert row["values"]["n"] == row["n_samples"] > 0
    back = decode_ink(row["ink"])
    assert len(back) == row["n_samples"]
    _, rows = file_sessions(p, "C001", task="sentence", date=dt.date(2026, 1, 1), keep_ink=False,
                            featurize=lambda rec: {})
    assert rows[0]["task"] == "sentence" and rows[0]["date"] == dt.date(2026, 1, 1) and rows[0]["ink"] is None


def test_recording_session() -> None:
    rec = Recording.from_arrays(t=[0, 0.01, 0.02], x=[0, 1, 2], y=[0, 0, 0], meta={"date": "2026-01-12"})
    row = recording_session("C001", rec, values={"a": 1.0})
    assert row["sha256"] == recording_session("C001", rec, values={})["sha256"]     # hash of the ink
    assert decode_ink(encode_ink(rec)).x.tolist() == rec.x.tolist()
    with pytest.raises(ParameterError, match="date"):
        recording_session("C001", Recording.from_arrays(t=[0], x=[0], y=[0]), values={})
    with pytest.raises(ParameterError, match="subject"):
        recording_session("C001", rec.with_meta(subject="C009"), values={})


def test_as_date() -> None:
    assert as_date(dt.datetime(2026, 1, 2, 3, 4), what="d") == dt.date(2026, 1, 2)
    assert as_date(" 2026-01-02 ", what="d") == dt.date(2026, 1, 2)
    with pytest.raises(ParameterError, match="when: expected an ISO date"):
        as_date("yesterday", what="when")
