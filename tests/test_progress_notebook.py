"""Execute notebooks/03_progress.ipynb top to bottom (nbclient); any cell error fails the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NB = Path(__file__).resolve().parents[1] / "notebooks" / "03_progress.ipynb"


@pytest.mark.slow
def test_progress_notebook_runs(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NB, as_version=4)
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "24 sessions added" in outputs
    assert "['duplicate', 'duplicate', 'duplicate'] <- re-adding is a no-op" in outputs
    assert "spiral pressure:" in outputs and "RCI =" in outputs
    assert "report_C010.html" in outputs
