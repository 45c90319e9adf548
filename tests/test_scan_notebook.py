"""Execute notebooks/02_scanned_worksheets.ipynb end to end (nbclient) and check its key outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NB = Path(__file__).resolve().parents[1] / "notebooks" / "02_scanned_worksheets.ipynb"


def test_scanned_worksheets_notebook_executes(shared_data):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    os.environ.setdefault("MPLBACKEND", "Agg")
    nb = nbformat.read(NB, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(NB.parent)}})
    before = os.environ.get("PENMOTOR_SHARED_DATA")
    os.environ["PENMOTOR_SHARED_DATA"] = str(shared_data)
    try:
        client.execute()
    finally:
        if before is None:
            os.environ.pop("PENMOTOR_SHARED_DATA", None)
        else:
            os.environ["PENMOTOR_SHARED_DATA"] = before
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "ruled lines at rows" in text and "x_height" in text and "stroke_width" in text
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs if o.get("output_type") == "execute_result")
    assert "minnesota_baseline_share" in html and "child_03.png" in html and ">error<" in html
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4
