"""Readers on real samples written the way other tools export them (fixtures in this folder).

Every quirky file holds the same samples as its plain sibling; the reader must return the
same recording for both (see README.md here for the sources).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import penmotor
from penmotor.cli import main

HERE = Path(__file__).resolve().parent
CURIOUS = "[C001]pahaw-spiral_trace1_Dom"


def same(a: penmotor.Recording, b: penmotor.Recording) -> None:
    assert len(a) == len(b) > 0
    for ch in ("t", "x", "y"):
        np.testing.assert_array_equal(getattr(a, ch), getattr(b, ch))
    np.testing.assert_array_equal(a.pen_down, b.pen_down)
    np.testing.assert_array_equal(np.nan_to_num(a.pressure, nan=-1), np.nan_to_num(b.pressure, nan=-1))


@pytest.mark.parametrize("variant", ["_quoted", "_bom_crlf", "_trailing_sep", "_semicolon"])
def test_curious_exports_read_alike(variant: str) -> None:
    plain = penmotor.read(HERE / f"{CURIOUS}.csv", screen_mm=(100, 100))
    got = penmotor.read(HERE / f"{CURIOUS}{variant}.csv", screen_mm=(100, 100))  # format sniffed
    same(plain, got)
    assert got.meta["format"] == "curious" and got.meta["subject"] == "C001" and got.n_strokes == 2
    assert got.meta["epoch_time_in_seconds_start"] == pytest.approx(1686858474.596)
    # ground truth: the PaHaW spiral's 40 units/mm laid on a 100 mm area -> the same mm as PaHaW
    pahaw = penmotor.read(HERE / "pahaw_spiral.svc", columns="pahaw")
    d = got.pen_down
    np.testing.assert_allclose(got.x[d] - got.x[0], pahaw.x - pahaw.x[0], atol=1e-3)
    np.testing.assert_allclose(got.y[d] - got.y[0], pahaw.y - pahaw.y[0], atol=1e-3)


def test_quoted_header_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", str(HERE / f"{CURIOUS}_quoted.csv"), "--screen-mm", "100", "100", "--csv"]) == 0
    assert "speed_mean" in capsys.readouterr().out


@pytest.mark.parametrize("variant", ["_bom_crlf", "_trailing_space"])
def test_svc_exports_read_alike(variant: str) -> None:
    plain = penmotor.read(HERE / "pahaw_spiral.svc", columns="pahaw")
    same(plain, penmotor.read(HERE / f"pahaw_spiral{variant}.svc", columns="pahaw"))
    # also without the .svc extension: the sniffer sees through the byte-order mark and CR LF
    assert penmotor.io.svc.sniff_svc((HERE / f"pahaw_spiral{variant}.svc").read_bytes()[:4096])


def test_uci_export_with_bom_crlf_and_trailing_separator() -> None:
    (plain,) = penmotor.read(HERE / "uci_C_0001.txt", format="uci")
    (got,) = penmotor.read(HERE / "uci_C_0001_bom_crlf_trailing_sep.txt")  # format sniffed
    same(plain, got)
    assert got.meta["task"] == "static_spiral"


def test_a_really_extra_field_is_still_an_error(tmp_path: Path) -> None:
    # a trailing separator is not an extra field, but a row with one more value than the header is
    text = (HERE / f"{CURIOUS}.csv").read_text().splitlines()
    text[5] += ",7"
    p = tmp_path / "extra.csv"
    p.write_text("\n".join(text) + "\n")
    with pytest.raises(penmotor.FormatError, match="line 6"):
        penmotor.read(p, screen_mm=(100, 100))
