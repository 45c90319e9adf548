"""Theil-Sen trends per month, Jacobson-Truax RCI, within-session SEM, verdicts in words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import ParameterError
from penmotor.progress.trends import (
    DAYS_PER_MONTH,
    reliable_change_index,
    summarize,
    theil_sen_trend,
    within_session_sd,
)


def _frame(values, dates, *, metric="pressure_mean", task="sentence", child="C001") -> pd.DataFrame:
    return pd.DataFrame({"child_id": child, "task": task, "metric": metric, "unit": "1",
                         "date": pd.to_datetime(dates), "value": values})


def test_theil_sen_recovers_slope_per_month_despite_an_outlier() -> None:
    days = np.arange(0, 10 * 14, 14)  # fortnightly
    dates = pd.Timestamp("2026-01-05") + pd.to_timedelta(days, unit="D")
    months = days / DAYS_PER_MONTH
    y = 5.0 - 0.3 * months
    y[4] += 10.0  # one wild session
    fit = theil_sen_trend(dates, y)
    assert fit.slope_per_month == pytest.approx(-0.3, rel=1e-9)
    assert fit.intercept == pytest.approx(5.0, rel=1e-9)
    assert fit.low <= -0.3 <= fit.high and fit.n == 10


def test_theil_sen_degenerate() -> None:
    assert math.isnan(theil_sen_trend(["2026-01-01", "2026-01-01"], [1.0, 2.0]).slope_per_month)
    assert theil_sen_trend(["2026-01-01", "2026-02-01", "2026-03-01"], [1.0, np.nan, 3.0]).n == 2
    with pytest.raises(ParameterError, match="one per date"):
        theil_sen_trend(["2026-01-01"], [1.0, 2.0])


@given(st.lists(st.floats(-100, 100), min_size=3, max_size=12), st.floats(-50, 50), st.floats(0.1, 10))
@settings(max_examples=40)
def test_theil_sen_is_shift_and_scale_equivariant(vals, shift, scale) -> None:
    dates = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(len(vals)) * 7, unit="D")
    a = theil_sen_trend(dates, vals).slope_per_month
    b = theil_sen_trend(dates, np.asarray(vals) * scale + shift).slope_per_month
    assert b == pytest.approx(a * scale, rel=1e-6, abs=1e-6)


def test_rci_formula_by_hand() -> None:
    # Jacobson & Truax (1991): S_diff = sqrt(2 SE^2), SE = s1 sqrt(1 - r_xx)
    sd, r = 7.5, 0.88
    se = sd * math.sqrt(1 - r)
    expect = (42.0 - 55.0) / math.sqrt(2 * se**2)
    assert reliable_change_index(55.0, 42.0, sd=sd, reliability=r) == pytest.approx(expect)
    assert reliable_change_index(55.0, 42.0, sem=se) == pytest.approx(expect)


@pytest.mark.parametrize("kw,match", [({}, "sem"), ({"sem": 0.0}, "sem"), ({"sem": -1.0}, "sem"),
                                      ({"sd": 1.0, "reliability": 1.0}, "reliability"),
                                      ({"sd": -1.0, "reliability": 0.5}, "sd")])
def test_rci_bad_arguments(kw, match) -> None:
    with pytest.raises(ParameterError, match=match):
        reliable_change_index(1.0, 2.0, **kw)


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(1e-3, 1e3))
def test_rci_antisymmetric(a, b, sem) -> None:
    assert reliable_change_index(a, b, sem=sem) == pytest.approx(-reliable_change_index(b, a, sem=sem), abs=1e-9)


def test_within_session_sd_recovers_known_noise(rng: np.random.Generator) -> None:
    """Repeats with noise SD 0.2 on 200 session days: the pooled SD is 0.2 within 10 %."""
    days = pd.date_range("2026-01-01", periods=200, freq="D")
    true = np.linspace(3, 5, 200)
    rows = []
    for d, m in zip(days, true):
        for v in m + rng.normal(0, 0.2, 2):
            rows.append({"child_id": "C1", "date": d, "task": "s", "metric": "x_height", "value": v})
    est = within_session_sd(pd.DataFrame(rows))
    assert est.loc[("s", "x_height"), "sem"] == pytest.approx(0.2, rel=0.1)
    assert est.loc[("s", "x_height"), "dof"] == 200


def test_no_repeats_no_estimate() -> None:
    est = within_session_sd(_frame([1.0, 2.0], ["2026-01-01", "2026-01-08"]))
    assert est.empty


def test_summarize_verdicts_follow_better_direction() -> None:
    dates = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    df = pd.concat([
        _frame([0.80, 0.72, 0.61, 0.50], dates, metric="p_low"),     # lower is better: improved
        _frame([0.50, 0.61, 0.72, 0.80], dates, metric="p_low2"),    # lower is better: worse
        _frame([4.0, 4.05, 3.98, 4.02], dates, metric="steady"),     # within noise
        _frame([1.0, 2.0, 3.0, 4.0], dates, metric="freq"),          # no better direction
        _frame([1.0], dates[:1], metric="once"),
    ])
    better = {"p_low": "lower", "p_low2": "lower", "steady": "higher", "freq": None, "once": "lower"}
    sd = {"p_low": 0.05, "p_low2": 0.05, "steady": 0.1, "freq": 0.1, "once": 0.1}
    s = summarize(df, retest_sd=sd, better=better).set_index("metric")
    assert s.loc["p_low", "verdict"] == "improved" and s.loc["p_low", "rci"] < -1.96
    assert s.loc["p_low2", "verdict"] == "worse"
    assert s.loc["steady", "verdict"] == "no reliable change"
    assert s.loc["freq", "verdict"] == "changed"
    assert s.loc["once", "verdict"] == "one session" and "only one session" in s.loc["once", "words"]
    assert s.loc["p_low", "slope_per_month"] < 0 and "per month" in s.loc["p_low", "words"]
    assert s.loc["p_low", "baseline"] == 0.80 and s.loc["p_low", "latest"] == 0.50


def test_summarize_without_sem_does_not_claim_change() -> None:
    s = summarize(_frame([0.8, 0.5], ["2026-01-05", "2026-01-12"]), min_sessions=3).iloc[0]
    assert s["verdict"] == "not judged" and math.isnan(s["rci"])
    assert "Too few sessions for a trend (2 of 3)" in s["words"]
    assert "cannot be said" in s["words"]


def test_summarize_uses_within_session_repeats_and_means() -> None:
    dates = ["2026-01-05", "2026-01-05", "2026-02-05", "2026-02-05"]
    s = summarize(_frame([0.80, 0.84, 0.50, 0.54], dates), better={"pressure_mean": "lower"}).iloc[0]
    sem = math.sqrt(((0.04**2 / 2) * 2) / 2)  # two pairs, each var = 0.0008
    assert s["sem"] == pytest.approx(sem)
    assert s["sem_source"].startswith("within-session repeats")
    assert s["baseline"] == pytest.approx(0.82) and s["latest"] == pytest.approx(0.52)
    assert s["rci"] == pytest.approx(-0.30 / (math.sqrt(2) * sem))
    assert s["n_sessions"] == 2


def test_given_sd_overrides_estimate_and_per_task_keys() -> None:
    df = pd.concat([_frame([1.0, 1.1, 2.0], ["2026-01-01", "2026-01-01", "2026-02-01"], task="a"),
                    _frame([1.0, 2.0], ["2026-01-01", "2026-02-01"], task="b")])
    s = summarize(df, retest_sd={("b", "pressure_mean"): 2.0, "pressure_mean": 0.01}).set_index("task")
    assert s.loc["b", "sem"] == 2.0 and s.loc["a", "sem"] == 0.01
    with pytest.raises(ParameterError, match="positive"):
        summarize(df, retest_sd={"pressure_mean": 0.0})


def test_summarize_empty() -> None:
    assert summarize(_frame([], [])).empty


def test_paper_and_tablet_are_not_compared_with_each_other() -> None:
    # steady tablet sessions, then one scanned page whose x-height reads 6 % smaller (the
    # measured paper/tablet bias): the verdict compares tablet with tablet and says so
    dates = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    tablet = _frame([3.00, 3.02, 2.99, 3.01], dates, metric="x_height").assign(modality="online")
    paper = _frame([2.82], ["2026-02-02"], metric="x_height").assign(modality="scan")
    s = summarize(pd.concat([tablet, paper]), retest_sd={"x_height": 0.03}).iloc[0]
    assert s["modality"] == "online" and s["n_other"] == 1 and s["n_sessions"] == 4
    assert s["latest"] == 3.01 and s["verdict"] == "no reliable change"
    assert "1 scanned-paper session left out" in s["words"]
    # mixed in, the bias alone would have read as a reliable change
    mixed = summarize(pd.concat([tablet, paper]).drop(columns="modality"), retest_sd={"x_height": 0.03}).iloc[0]
    assert mixed["latest"] == 2.82 and mixed["reliable"]
    # more paper than tablet sessions: paper is compared
    more_paper = pd.concat([tablet.iloc[:1], _frame([2.8, 2.9, 3.0], dates[1:], metric="x_height").assign(modality="scan")])
    s2 = summarize(more_paper, retest_sd={"x_height": 0.03}).iloc[0]
    assert s2["modality"] == "scan" and s2["baseline"] == 2.8 and s2["n_other"] == 1


def test_a_scan_and_a_tablet_recording_of_one_day_are_not_repeats() -> None:
    df = pd.concat([_frame([3.0, 3.02], ["2026-01-05"] * 2, metric="x_height").assign(modality="online"),
                    _frame([2.7], ["2026-01-05"], metric="x_height").assign(modality="scan")])
    est = within_session_sd(df)
    assert est.loc[("sentence", "x_height"), "dof"] == 1
    assert est.loc[("sentence", "x_height"), "sem"] == pytest.approx(0.02 / math.sqrt(2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=14), st.lists(st.integers(-5, 5), min_size=14, max_size=14))
def test_theil_sen_matches_scipy_with_ties(xs, ys) -> None:
    import warnings

    from scipy.stats import theilslopes

    x = np.asarray(xs, float)
    y = np.asarray(ys[: x.size], float) / 2.0
    if np.unique(x).size < 2:
        return
    from penmotor.progress.trends import _theil_sen

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ref = theilslopes(y, x, method="joint")
    got = _theil_sen(x, y)
    np.testing.assert_allclose([got.slope_per_month, got.intercept, got.low, got.high], list(ref), equal_nan=True)


def test_text_dependent_metrics_compare_only_the_same_text() -> None:
    dates = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    texts = ["the fox", "a dog ran home", "the fox", "the fox"]
    ink = [120.0, 300.0, 110.0, 100.0]  # the long sentence on the second date is not a change
    pr = [0.8, 0.7, 0.6, 0.5]
    df = pd.concat([_frame(ink, dates, metric="ink_length").assign(prompt=texts, unit="mm"),
                    _frame(pr, dates, metric="pressure_mean").assign(prompt=texts)])
    s = summarize(df, retest_sd={"ink_length": 5.0, "pressure_mean": 0.01}).set_index("metric")
    ink_row, pr_row = s.loc["ink_length"], s.loc["pressure_mean"]
    assert ink_row["text"] == "the fox" and ink_row["n_other_text"] == 1 and ink_row["n_sessions"] == 3
    assert ink_row["baseline"] == 120.0 and ink_row["latest"] == 100.0
    assert "another text left out" in ink_row["words"]
    # a metric that does not depend on the text uses every session
    assert pr_row["n_other_text"] == 0 and pr_row["n_sessions"] == 4 and pr_row["baseline"] == 0.8
    # without a prompt column nothing is left out
    s2 = summarize(df.drop(columns="prompt"), retest_sd={"ink_length": 5.0}).set_index("metric")
    assert s2.loc["ink_length", "n_sessions"] == 4 and s2.loc["ink_length", "n_other_text"] == 0


def test_intercept_is_the_judged_trend_line() -> None:
    dates = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"])
    months = (dates - dates[0]).days / DAYS_PER_MONTH
    s = summarize(_frame(2.0 + 0.5 * months, dates)).iloc[0]
    assert s["intercept"] == pytest.approx(2.0) and s["slope_per_month"] == pytest.approx(0.5)
