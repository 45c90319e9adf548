"""The README's library example runs as written, and its quick start matches the Makefile and CI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_two_make_commands_and_ci_runs_the_test_one():
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test$", ci, re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_library_example_runs(tmp_path, monkeypatch, shared_data):
    code = re.search(r"## The library in ten lines.*?```python\n(.*?)```", README, re.S).group(1)
    assert len([ln for ln in code.splitlines() if ln.strip()]) <= 10
    shutil.copy(shared_data / "pahaw" / "HC-female" / "00026_w.cz.fnusa.1_1.svc", tmp_path)
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - our own documentation
    assert ns["f"]["speed_mean"] > 0
    # the values the README shows in its comments are the ones the file gives
    shown = dict(re.findall(r'"(\w+)": ([0-9.]+)', code))
    assert shown and all(round(ns["f"][k], 1) == float(v) for k, v in shown.items()), shown
    assert "1 stroke," in repr(ns["rec"]) and ns["rec"].n_strokes == 1
    assert len(ns["table"]) == 2
    assert (tmp_path / "demo.inkml").stat().st_size > 0
    import penmotor

    assert len(penmotor.read(tmp_path / "demo.inkml")) == len(ns["demo"])
