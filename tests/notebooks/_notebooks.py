"""Shared helper of the notebook tests: execute a notebook under ``notebooks/`` with nbclient."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run_notebook(
    name: str, *, timeout: int, cwd: Path | None = None, shared_data: Path | None = None
) -> list[Any]:
    """Execute ``notebooks/<name>`` top to bottom; return the outputs of its code cells, in order.

    Skips the test when nbformat/nbclient are missing. `cwd` is the kernel's working
    folder (default: the notebooks folder); `shared_data`, when given, is exported as
    ``PENMOTOR_SHARED_DATA`` while the notebook runs (the previous value is restored).
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    os.environ.setdefault("MPLBACKEND", "Agg")
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd if cwd is not None else path.parent)}})
    before = os.environ.get("PENMOTOR_SHARED_DATA")
    if shared_data is not None:
        os.environ["PENMOTOR_SHARED_DATA"] = str(shared_data)
    try:
        client.execute()
    finally:
        if before is None:
            os.environ.pop("PENMOTOR_SHARED_DATA", None)
        else:
            os.environ["PENMOTOR_SHARED_DATA"] = before
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def errors(outputs: list[Any]) -> list[Any]:
    """The error outputs (a cell that raised)."""
    return [o for o in outputs if o.get("output_type") == "error"]


def stream_text(outputs: list[Any]) -> str:
    """Everything the cells printed (stdout/stderr streams), concatenated."""
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


def result_html(outputs: list[Any]) -> str:
    """The HTML of the cells' results (e.g. DataFrames), concatenated."""
    return "".join(o.get("data", {}).get("text/html", "") for o in outputs if o.get("output_type") == "execute_result")


def images(outputs: list[Any]) -> list[Any]:
    """The outputs carrying a PNG image (figures)."""
    return [o for o in outputs if "image/png" in o.get("data", {})]
