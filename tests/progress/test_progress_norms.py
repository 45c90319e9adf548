"""User-supplied norms -> z-scores; bad tables named by line and field; no shipped norms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import penmotor
from penmotor import FormatError, ParameterError
from penmotor.progress.norms import load_norms, z_scores

CSV = """metric,age_min,age_max,mean,sd,task,unit,source
pressure_mean,6,8,0.50,0.10,,1,made-up test table
pressure_mean,8,10,0.45,0.10,,1,made-up test table
speed_mean,6,8,20,5,sentence,mm/s,made-up test table
speed_mean,6,8,30,5,spiral,mm/s,made-up test table
"""


@pytest.fixture
def norms_csv(tmp_path: Path) -> Path:
    p = tmp_path / "norms.csv"
    p.write_text(CSV)
    return p


def test_z_scores_by_age_band_and_task(norms_csv: Path) -> None:
    vals = pd.DataFrame({"metric": ["pressure_mean", "speed_mean", "speed_mean", "x_height"],
                         "task": ["sentence", "sentence", "spiral", "sentence"],
                         "value": [0.70, 25.0, 25.0, 4.0]})
    z = z_scores(vals, norms_csv, age_years=7.0)
    np.testing.assert_allclose(z["z"].to_numpy()[:3], [2.0, 1.0, -1.0])
    assert np.isnan(z["z"].iloc[3])  # no norm row for x_height: NaN, not invented
    older = z_scores(vals, norms_csv, age_years=8.0)
    assert older["z"].iloc[0] == pytest.approx(2.5)
    if penmotor.FEATURES["pressure_mean"].better == "lower":
        assert z["z_better"].iloc[0] == pytest.approx(-2.0)


@pytest.mark.parametrize("text,line,field", [
    ("metric,age_min,age_max,mean\nx,1,2,3\n", 1, None),
    ("metric,age_min,age_max,mean,sd\nx,1,2,3,oops\n", 2, "sd"),
    ("metric,age_min,age_max,mean,sd\nx,1,2,3,1\nx,1,2,3,0\n", 3, "sd"),
    ("metric,age_min,age_max,mean,sd\nx,5,4,3,1\n", 2, "age_max"),
    ("metric,age_min,age_max,mean,sd,unit\nspeed_mean,5,6,3,1,cm/s\n", 2, "unit"),
])
def test_bad_norms_tables(tmp_path: Path, text: str, line: int, field: str | None) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(FormatError) as ei:
        load_norms(p)
    assert ei.value.line == line and ei.value.field == field and ei.value.path == str(p)


def test_missing_file_and_bad_age(tmp_path: Path, norms_csv: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        load_norms(tmp_path / "nope.csv")
    with pytest.raises(ParameterError, match="age_years"):
        z_scores(pd.DataFrame({"metric": [], "task": [], "value": []}), norms_csv, age_years=-3)


def test_penmotor_ships_no_norms() -> None:
    pkg = Path(penmotor.__file__).parent
    shipped = [p for p in pkg.rglob("*") if "norm" in p.name.lower() and p.suffix.lower() in (".csv", ".json", ".parquet")]
    assert shipped == []
