"""Execute notebooks/02_scanned_worksheets.ipynb end to end (nbclient) and check its key outputs."""

from __future__ import annotations

from _notebooks import errors, images, result_html, run_notebook, stream_text


def test_scanned_worksheets_notebook_executes(shared_data):
    outputs = run_notebook("02_scanned_worksheets.ipynb", timeout=180, shared_data=shared_data)
    assert not errors(outputs)
    text = stream_text(outputs)
    assert "ruled lines at rows" in text and "x_height" in text and "stroke_width" in text
    html = result_html(outputs)
    assert "minnesota_baseline_share" in html and "child_03.png" in html and ">error<" in html
    assert len(images(outputs)) >= 4
