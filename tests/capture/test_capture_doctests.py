"""Run the docstring examples of penmotor_capture (it lives outside src/, so pytest's
``--doctest-modules`` over ``src/penmotor`` does not reach it)."""

from __future__ import annotations

import doctest
import importlib

import pytest

pytest.importorskip("penmotor_capture")

MODULES = ["__init__", "events", "decoder", "convert", "journal", "templates", "session", "sources", "cli",
           "web", "web.session", "web.server"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module("penmotor_capture" if name == "__init__" else f"penmotor_capture.{name}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0
    assert res.failed == 0, f"{res.failed} docstring example(s) failed in penmotor_capture.{name}"
