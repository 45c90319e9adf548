"""Execute notebooks/03_progress.ipynb top to bottom (nbclient); any cell error fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from _notebooks import run_notebook


@pytest.mark.slow
def test_progress_notebook_runs(tmp_path: Path) -> None:
    outputs = "".join(o.get("text", "") for o in run_notebook("03_progress.ipynb", timeout=600, cwd=tmp_path))
    assert "24 sessions added" in outputs
    assert "['duplicate', 'duplicate', 'duplicate'] <- re-adding is a no-op" in outputs
    assert "spiral pressure:" in outputs and "RCI =" in outputs
    assert "report_C010.html" in outputs
