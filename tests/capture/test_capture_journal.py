"""The crash journal (``penmotor_capture.journal``): exact round trip, syncing, torn tails,
format errors that name the file, private files, resuming, and finding unfinished sessions."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor.errors import FormatError

pytest.importorskip("penmotor_capture")
from penmotor_capture import SAMPLE_DTYPE, empty_samples  # noqa: E402
from penmotor_capture import journal as journal_mod  # noqa: E402
from penmotor_capture.journal import (  # noqa: E402
    Journal, JournalContents, find_unfinished, journal_paths, journal_source, read_journal,
)


def _samples(n, *, contact=None, t0=0):
    s = empty_samples(n)
    s["t_us"] = t0 + np.arange(n) * 4000
    s["x"] = np.arange(n) * 10.0
    s["y"] = 500.0
    s["pressure"] = 100.0
    s["in_range"] = True
    s["contact"] = True if contact is None else contact
    return s


# ------------------------------------------------------------------ round trip
@st.composite
def sample_blocks(draw):
    """Random sample blocks (NaN axes, any flags, serials) split at random points."""
    n = draw(st.integers(0, 60))
    floats = st.floats(allow_nan=True, allow_infinity=False, width=64)
    s = empty_samples(n)
    s["t_us"] = np.cumsum(draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n))).astype(np.int64)
    for f in ("x", "y", "pressure", "tilt_x", "tilt_y", "distance", "serial"):
        s[f] = draw(st.lists(floats, min_size=n, max_size=n))
    for f in ("in_range", "contact", "eraser"):
        s[f] = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    s["buttons"] = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    s["tool"] = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    s["attempt"] = draw(st.lists(st.integers(0, 65535), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    bounds = [0, *cuts, n]
    return s, [s[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@settings(max_examples=30)
@given(sample_blocks(), st.booleans())
def test_every_sample_round_trips_bit_exactly(blocks, background):
    whole, parts = blocks
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.pmr"
        j = Journal(path, {"child": "C1", "n": np.int64(3), "where": Path("a/b")}, background=background,
                    sync_interval_s=3600)
        for p in parts:
            j.append(p)
        j.close()
        assert j.written == j.synced == len(whole)
        c = read_journal(path)
        # bytes, not values: NaN payloads, flags, serials and attempts all survive
        assert c.samples.dtype == SAMPLE_DTYPE and c.samples.tobytes() == whole.tobytes()
        assert c.header == {"child": "C1", "n": 3, "where": "a/b"}  # numpy and Path made JSON-safe
        assert c.closed and c.torn_bytes == 0
        assert [e["kind"] for e in c.events] == ["closed"]
        assert c.events[-1]["at_sample"] == len(whole)


def test_journal_syncs_at_stroke_end_and_roundtrips(tmp_path):
    syncs = []
    j = Journal(tmp_path / "s.pmr", {"child": "C1"}, on_sync=lambda n, st: syncs.append((n, st)),
                sync_interval_s=3600)
    j.append(_samples(5))                       # mid-stroke: buffered, not yet synced
    assert j.synced == 0 and j.written == 5
    j.append(_samples(3, contact=[True, False, False]))  # stroke ends inside the block
    assert j.synced == 8 and syncs[-1] == (8, False)
    j.append(_samples(2, contact=True))
    j.append(_samples(1, contact=False))        # stroke end across blocks
    assert j.synced == 11
    # what is on disk right now is exactly what was fsync'd
    assert len(read_journal(tmp_path / "s.pmr").samples) == 11
    j.close()
    c = read_journal(tmp_path / "s.pmr")
    assert c.closed and len(c.samples) == 11 and c.header == {"child": "C1"}


def test_journal_interval_sync(tmp_path):
    j = Journal(tmp_path / "s.pmr", {}, sync_interval_s=0.0)
    j.append(_samples(4))  # all contact, no stroke end: the interval forces a sync
    assert j.synced == 4
    j.close(closed=False)
    assert find_unfinished(tmp_path) == [tmp_path / "s.pmr"]


def test_background_writer_sync_waits_until_on_disk(tmp_path):
    seen = []
    j = Journal(tmp_path / "s.pmr", {"child": "C1"}, background=True, sync_interval_s=3600,
                on_sync=lambda n, in_stroke: seen.append((n, in_stroke)))
    j.append(_samples(6))                      # mid-stroke: nothing requested yet
    j.note("attempt", task="lines", attempt=1)
    j.sync()                                   # returns only once written and fsync'd
    assert j.synced == 6 and seen[-1] == (6, True)
    c = read_journal(tmp_path / "s.pmr")
    assert len(c.samples) == 6 and not c.closed
    assert c.events[-1] == {**c.events[-1], "kind": "attempt", "task": "lines", "attempt": 1, "at_sample": 6}
    j.close(reason="saved")
    c = read_journal(tmp_path / "s.pmr")
    assert c.closed and c.events[-1]["kind"] == "closed" and c.events[-1]["reason"] == "saved"
    j.close()  # a second close is harmless
    assert read_journal(tmp_path / "s.pmr").events == c.events


def test_empty_block_is_ignored(tmp_path):
    j = Journal(tmp_path / "s.pmr", {}, sync_interval_s=3600)
    j.append(empty_samples(0))
    assert j.written == 0
    j.close()
    assert read_journal(tmp_path / "s.pmr").samples.shape == (0,)


def test_write_failure_is_reported_and_names_the_journal(tmp_path, monkeypatch):
    j = Journal(tmp_path / "s.pmr", {})

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_mod.os, "fsync", full)
    j.append(_samples(2, contact=[True, False]))  # stroke end: a sync that fails
    assert j.failed and j.synced == 0
    with pytest.raises(OSError, match=r"journal .*s\.pmr\.journal: .*No space left"):
        j.append(_samples(1))
    with pytest.raises(OSError):
        j.close()
    assert j._bin.closed and j._log.closed  # the files are released even so


# ------------------------------------------------------------------ torn tails and bad files
def test_torn_journal_and_bad_files(tmp_path):
    j = Journal(tmp_path / "s.pmr", {"child": "C1"})
    j.append(_samples(3, contact=[True, True, False]))
    j.close(closed=False)
    bin_path, log_path = journal_paths(tmp_path / "s.pmr")
    with open(bin_path, "ab") as fh:
        fh.write(b"\x01\x02\x03")                 # a record torn by the crash
    with open(log_path, "a") as fh:
        fh.write('{"kind": "attem')               # a torn event line
    c = read_journal(tmp_path / "s.pmr")
    assert len(c.samples) == 3 and c.torn_bytes == 3 + len('{"kind": "attem') and not c.closed
    bin_path.write_bytes(b"XXXX" + bin_path.read_bytes()[4:])
    with pytest.raises(FormatError, match="not a penmotor capture journal"):
        read_journal(tmp_path / "s.pmr")
    with pytest.raises(FormatError, match="cannot read journal"):
        read_journal(tmp_path / "none.pmr")


@pytest.mark.parametrize("keep", [0, 1, SAMPLE_DTYPE.itemsize - 1])
def test_torn_last_record_is_cut_and_counted(tmp_path, keep):
    path = tmp_path / "s.pmr"
    j = Journal(path, {})
    full = _samples(5, contact=[True] * 4 + [False])
    j.append(full)
    j.close(closed=False)
    bin_path = journal_paths(path)[0]
    raw = bin_path.read_bytes()
    bin_path.write_bytes(raw[: len(raw) - SAMPLE_DTYPE.itemsize + keep])  # the last record half written
    c = read_journal(path)
    assert c.samples.tobytes() == full[:4].tobytes() and c.torn_bytes == keep


def _journal(tmp_path, name="s.pmr"):
    path = tmp_path / name
    j = Journal(path, {"child": "C1"})
    j.append(_samples(2, contact=[True, False]))
    j.close()
    return path, *journal_paths(path)


def test_wrong_magic_names_the_file(tmp_path):
    path, bin_path, _ = _journal(tmp_path)
    bin_path.write_bytes(b"PMJ9" + bin_path.read_bytes()[4:])
    with pytest.raises(FormatError, match=r"s\.pmr\.journal, line 1: not a penmotor capture journal.*PMJ9"):
        read_journal(path)


def test_wrong_record_size_names_file_and_field(tmp_path):
    path, bin_path, _ = _journal(tmp_path)
    raw = bytearray(bin_path.read_bytes())
    raw[4:6] = (SAMPLE_DTYPE.itemsize + 8).to_bytes(2, "little")  # written by another version
    bin_path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=rf"s\.pmr\.journal, field 'record size': record size "
                                          rf"{SAMPLE_DTYPE.itemsize + 8}, this version writes {SAMPLE_DTYPE.itemsize}"):
        read_journal(path)


def test_short_header_and_missing_log_are_format_errors(tmp_path):
    path, bin_path, log_path = _journal(tmp_path)
    bin_path.write_bytes(b"PMJ1\x00")
    with pytest.raises(FormatError, match=r"s\.pmr\.journal: journal shorter than its header"):
        read_journal(path)
    path2, _, log2 = _journal(tmp_path, "t.pmr")
    log2.unlink()
    with pytest.raises(FormatError, match=r"t\.pmr\.journal\.jsonl.*cannot read journal"):
        read_journal(path2)


def test_bad_json_inside_the_log_names_the_line(tmp_path):
    path, _, log_path = _journal(tmp_path)
    lines = log_path.read_text().splitlines()
    log_path.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n")
    with pytest.raises(FormatError, match=r"s\.pmr\.journal\.jsonl, line 2: not valid JSON"):
        read_journal(path)
    log_path.write_text("\n".join(lines[1:]) + "\n")  # header line lost
    with pytest.raises(FormatError, match=r"line 1: first line is not the session header"):
        read_journal(path)


# ------------------------------------------------------------------ files
def test_files_are_private_and_never_overwritten(tmp_path):
    old = os.umask(0)  # even with a permissive umask
    try:
        path, bin_path, log_path = _journal(tmp_path / "sub" / "dir")  # parent folders are made
    finally:
        os.umask(old)
    for p in (bin_path, log_path):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    before = bin_path.read_bytes(), log_path.read_bytes()
    with pytest.raises(FileExistsError):  # a journal left by a crash is never clobbered
        Journal(path, {"child": "C2"})
    assert (bin_path.read_bytes(), log_path.read_bytes()) == before


def test_journal_paths_sit_next_to_the_session():
    b, j = journal_paths(Path("x") / "C001_20260112-101500.pmr")
    assert b == Path("x") / "C001_20260112-101500.pmr.journal"
    assert j == Path("x") / "C001_20260112-101500.pmr.journal.jsonl"


# ------------------------------------------------------------------ resume
def test_resume_cuts_torn_tail_and_continues(tmp_path):
    path = tmp_path / "s.pmr"
    j = Journal(path, {"child": "C7"})
    first = _samples(4, contact=[True, True, True, False])
    j.append(first)
    j.close(closed=False)
    bin_path, log_path = journal_paths(path)
    with open(bin_path, "ab") as fh:
        fh.write(b"\xff" * 7)
    with open(log_path, "a") as fh:
        fh.write('{"kind": "red')
    j = Journal(path, {"ignored": True}, resume=True)
    assert j.written == j.synced == 4
    more = _samples(2, contact=[True, False], t0=10**6)
    j.append(more)
    j.close()
    c = read_journal(path)
    assert c.torn_bytes == 0  # the torn bytes were cut before appending
    assert c.samples.tobytes() == np.concatenate([first, more]).tobytes()
    assert c.header == {"child": "C7"}  # the original header stays
    assert [e["kind"] for e in c.events] == ["resumed", "closed"]
    assert c.events[0]["samples"] == 4


@pytest.mark.parametrize("keep, want", [(2, 2), (0, 0), (99, 5), (-3, 0)])
def test_resume_keep_samples(tmp_path, keep, want):
    path = tmp_path / "s.pmr"
    j = Journal(path, {})
    s = _samples(5, contact=[True] * 4 + [False])
    j.append(s)
    j.close(closed=False)
    j = Journal(path, {}, resume=True, keep_samples=keep)
    assert j.written == want
    j.close()
    assert read_journal(path).samples.tobytes() == s[:want].tobytes()


def test_resume_refuses_a_foreign_file(tmp_path):
    path, bin_path, _ = _journal(tmp_path)
    bin_path.write_bytes(b"NOPE" + bin_path.read_bytes()[4:])
    with pytest.raises(FormatError, match="not a penmotor capture journal"):
        Journal(path, {}, resume=True)


# ------------------------------------------------------------------ finding sessions
def test_find_unfinished_recursive_sorted_and_skips_closed_or_recovered(tmp_path):
    def make(rel, end=None):
        p = tmp_path / rel
        j = Journal(p, {})
        j.append(_samples(2, contact=[True, False]))
        if end == "recovered":
            j.note("recovered", to=str(p))
        j.close(closed=end == "closed")
        return p

    b = make("C2/b.pmr")
    make("C2/closed.pmr", "closed")
    make("C3/deep/rec.pmr", "recovered")
    a = make("C1/a.pmr")
    c = make("C3/deep/c.pmr")
    (tmp_path / "C1" / "notes.jsonl").write_text("{}\n")  # not a journal
    assert find_unfinished(tmp_path) == [a, b, c]
    assert find_unfinished(tmp_path / "C2") == [b]
    assert JournalContents({}).samples.dtype == SAMPLE_DTYPE  # the empty default is a sample block


def test_journal_source(tmp_path):
    p = tmp_path / "web.pmr"
    Journal(p, {"meta": {"capture_source": "browser", "child": "C1"}}).close()
    assert journal_source(p) == "browser"
    q = tmp_path / "plain.pmr"
    Journal(q, {"meta": {"child": "C1"}}).close()
    assert journal_source(q) is None
    r = tmp_path / "odd.pmr"
    Journal(r, {"meta": "not a dict"}).close()
    assert journal_source(r) is None
    s = tmp_path / "garbled.pmr"
    journal_paths(s)[1].write_text("{torn\n")
    assert journal_source(s) is None
    t = tmp_path / "num.pmr"
    Journal(t, {"meta": {"capture_source": 3}}).close()
    assert journal_source(t) == "3"
    assert json.loads(journal_paths(p)[1].read_text().splitlines()[0])["kind"] == "header"
