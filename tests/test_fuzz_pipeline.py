"""The whole pipeline fuzzed: corrupted real files (every format penmotor reads, and scanned pages)
go read -> features -> store -> report with only penmotor errors, memory bounded by the file size
and every case stopped by an alarm if it runs too long. A short seeded campaign of
``benchmarks/fuzz.py``; run that script for long ones."""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import penmotor
from penmotor import PenmotorError, PenmotorWarning

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "io"))
import fuzz  # noqa: E402
from io_strategies import recordings  # noqa: E402

CASES_PER_FORMAT = 6  # x 7 formats + one report: well under a minute on an idle machine


def test_campaign_only_penmotor_errors_bounded_memory_and_time(shared_data, tmp_path):
    tallies = fuzz.campaign(CASES_PER_FORMAT, seed=20261206, timeout_s=20.0, workdir=tmp_path)
    assert set(tallies) == set(fuzz.FORMATS) | {"report"}
    failures = [f for t in tallies.values() for f in t.failures]
    assert not failures, fuzz.summary(tallies)
    for fmt in fuzz.FORMATS:
        assert tallies[fmt].cases == CASES_PER_FORMAT
    assert tallies["report"].outcomes["ok"] == 1  # the report of everything that was stored
    outcomes = sum((t.outcomes for t in tallies.values()), start=type(tallies["svc"].outcomes)())
    assert outcomes["ok"] > 1 and outcomes["FormatError"] > 1  # cases reach the end and the checks


def test_seeds_pass_the_pipeline_unmutated(shared_data, tmp_path):
    from penmotor.progress import Store

    seeds = fuzz.make_seeds(tmp_path / "seeds")
    store = Store(tmp_path / "s.db")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenmotorWarning)
        for fmt in fuzz.FORMATS:
            assert fuzz.run_pipeline(fmt, seeds[fmt][0], store) >= 1, fmt
    assert len(store.sessions(fuzz.CHILD)) == len(fuzz.FORMATS)


def test_mutations_are_seeded_and_change_the_bytes():
    data = b"1 2 3\n4 5 6\n7 8 9\n" * 20
    a = [fuzz.mutate(data, np.random.default_rng(5), "svc") for _ in range(1)]
    b = [fuzz.mutate(data, np.random.default_rng(5), "svc") for _ in range(1)]
    assert a == b
    rng = np.random.default_rng(1)
    kinds = set()
    for _ in range(60):
        kind, out = fuzz.mutate(data, rng, "uci")
        kinds.add(kind.split()[0])
        if not kind.startswith("flip"):  # a flip may put back the same digit
            assert out != data, kind
    assert kinds == set(fuzz.MUTATIONS)


def test_the_alarm_stops_a_runaway_case():
    outcome, failed, _, dt = fuzz.run_case(lambda: time.sleep(30), 10, timeout_s=0.3)
    assert (outcome, failed) == ("TIMEOUT", True) and dt < 10


def test_memory_over_the_bound_is_a_failure():
    outcome, failed, peak, _ = fuzz.run_case(lambda: np.ones(fuzz.MEM_BASE // 8 + (1 << 20)), 0, 20.0)
    assert failed and outcome.startswith("MEMORY") and peak > fuzz.MEM_BASE


def test_a_non_penmotor_exception_is_a_failure():
    def boom():
        raise KeyError("x")

    outcome, failed, _, _ = fuzz.run_case(boom, 0, 20.0)
    assert failed and outcome.startswith("BUG KeyError")
    assert fuzz.run_case(lambda: penmotor.read("/nonexistent.svc"), 0, 20.0)[:2] == ("FormatError", False)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          deadline=None)
@given(rec=recordings(max_n=60), scale=st.sampled_from([1.0, 1e-3, 1e3, 1e9]))
def test_features_of_odd_recordings(rec, scale):
    """Structure-level: random recordings (ties, NaN pressure, odd time stamps, huge or tiny
    scales) give features or a penmotor error, nothing else, in memory that follows the samples."""
    import tracemalloc

    rec = rec.replace(x=rec.x * scale, y=rec.y * scale)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = penmotor.features(rec)
        assert all(isinstance(v, float) for v in f.values())
    except PenmotorError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < fuzz.MEM_BASE + 200_000 * len(rec)


@pytest.mark.parametrize("fmt", ["native", "inkml"])
@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(rec=recordings(max_n=40, strings=True))
def test_written_then_read_through_features_and_store(tmp_path, fmt, rec):
    from penmotor.progress import Store

    p = tmp_path / f"r.{'pmr' if fmt == 'native' else 'inkml'}"
    try:
        penmotor.write(rec, p)
    except PenmotorError:
        return
    store = Store(tmp_path / "s.db")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fuzz.run_pipeline(fmt, p, store)
    except PenmotorError:
        pass
    finally:
        store.close()
