"""Hostile child ids, task names, metric names and file paths in the progress store: stored and
returned verbatim or refused by the child-id rule, never interpreted as SQL or by a shell."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import penmotor
from penmotor import ParameterError, Recording
from penmotor.progress import Store

SQL = [
    "x'; DROP TABLE sessions; --",
    "1' OR '1'='1",
    "1 OR 1=1",
    '" OR ""="',
    "'); DELETE FROM metric_values; --",
    "%' --",
    "_%",
    "\\'; SELECT 1; --",
]
ODD = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</style><script>alert(2)</script>",
    "task\x00nul",
    "right\u202eleft\u200b\u2066zero-width",
    "tab\tnew\nline\rcr",
    "$(touch pwned)`touch pwned2`;|&",
    "é漢字🙂",
    "",
]
HOSTILE = SQL + ODD


def _session(store, child, task="t", metric="m", sha=None, source=None):
    return store.add_session(child, date="2026-01-12", task=task, modality="online",
                             sha256=sha or os.urandom(32).hex(), values={metric: 1.5},
                             source=source)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    _session(s, "C001", task="spiral")  # a bystander that nothing may touch
    yield s
    s.close()


def _bystander_intact(s):
    assert s.children()[0] == "C001"
    v = s.values("C001")
    assert v["task"].tolist() == ["spiral"] and v["value"].tolist() == [1.5]


@pytest.mark.parametrize("child", HOSTILE + ["C001\n", "C001 ", " C001", "C0\u00b9", "C001;", "Ｃ001"])
def test_hostile_child_ids_are_refused(store, child):
    with pytest.raises(ParameterError, match="child"):
        _session(store, child)
    with pytest.raises(ParameterError, match="child"):
        store.ingest(child, [])
    _bystander_intact(store)
    assert store.children() == ["C001"]


@pytest.mark.parametrize("child", ["1-1", "C1--", "1.0", "0-0-0", "9" * 64, "C1_OR_1"])
def test_sql_looking_ids_that_pass_the_rule_are_plain_data(store, child):
    sid = _session(store, child)
    assert sid is not None and child in store.children()
    assert store.sessions(child)["child_id"].tolist() == [child]
    assert store.delete_child(child) == 1
    _bystander_intact(store)


@pytest.mark.parametrize("text", [h for h in HOSTILE if h])  # an empty task is refused (ParameterError)
def test_hostile_task_metric_source_round_trip_verbatim(store, text):
    metric = text[:64]
    _session(store, "C002", task=text, metric=metric, source=text)
    s = store.sessions("C002")
    assert s["task"].tolist() == [text] and s["source"].tolist() == [text]
    v = store.values("C002", metric=metric, task=text)
    assert v["metric"].tolist() == [metric] and v["value"].tolist() == [1.5]
    _bystander_intact(store)


@pytest.mark.parametrize("text", SQL)
def test_hostile_filters_match_nothing(store, text):
    """A filter value is a bound parameter: it matches literally (here: nothing)."""
    assert store.sessions(text).empty
    assert store.values(text).empty
    assert store.values("C001", task=text).empty
    assert store.values("C001", metric=[text, "m"])["metric"].tolist() == ["m"]
    assert store.delete_child(text) == 0
    _bystander_intact(store)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text=st.text(min_size=1, max_size=40))
def test_any_task_text_round_trips(store, text):
    sid = _session(store, "C003", task=text)
    got = store.sessions("C003")
    assert got.loc[got["session_id"] == sid, "task"].tolist() == [text]
    _bystander_intact(store)


DIR_NAMES = ["it's a \"quote\"", "a?mode=ro&cache=shared", "#hash%20pct", "$(touch pwned) `id`;|&",
             "é 漢字 🙂", "--; DROP TABLE x"]


@pytest.mark.parametrize("name", DIR_NAMES)
def test_store_and_ingest_paths_are_file_names_only(tmp_path, monkeypatch, name):
    """File paths go to SQLite as a file name and to the store as data; no shell ever runs."""
    def no_shell(*a, **k):
        raise AssertionError(f"a process was started: {a!r}")

    for fn in ("Popen", "run", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, fn, no_shell)
    monkeypatch.setattr(os, "system", no_shell)
    monkeypatch.chdir(tmp_path)
    d = tmp_path / name
    d.mkdir()
    db = d / f"{name}.db"
    with Store(db) as s:
        assert db.is_file()  # that exact file: nothing after '?' or '#' was read as URL syntax
        rec = Recording.from_arrays(t=np.arange(50) / 100.0, x=np.linspace(0, 20, 50), y=np.zeros(50))
        f = d / f"{name}.pmr"
        penmotor.write(rec, f)
        res = s.ingest("C004", [f], date="2026-01-12", task=name)
        assert [r.status for r in res] == ["added"], res
        got = s.sessions("C004")
        assert got["source"].tolist() == [str(f)] and got["task"].tolist() == [name]
    assert [p for p in tmp_path.rglob("*") if p.name in ("pwned", "pwned2", "id")] == []
    assert {p.name for p in d.iterdir()} <= {db.name, f.name, db.name + "-wal", db.name + "-shm"}
