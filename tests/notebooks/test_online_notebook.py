"""Execute notebooks/01_online_metrics.ipynb end to end (nbclient) and check its key outputs."""

from __future__ import annotations

from _notebooks import errors, images, result_html, run_notebook, stream_text


def test_online_metrics_notebook_executes(shared_data):
    outputs = run_notebook("01_online_metrics.ipynb", timeout=120, shared_data=shared_data)
    assert not errors(outputs)
    text = stream_text(outputs)
    assert "tremor_frequency" in text and "valid=True" in text
    assert "n_lines 10.0" in text  # the stacked page: ten lines found
    html = result_html(outputs)
    assert "speed_mean" in html and "mm/s" in html
    assert len(images(outputs)) >= 5
