"""InkML: lossless round trip (property), foreign files, units, and unsafe XML."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import penmotor
from penmotor import FormatError, Recording, UnitsError
from penmotor.io.inkml import read_inkml, write_inkml

from io_strategies import assert_round_trip, assert_same, recordings

NS = 'xmlns="http://www.w3.org/2003/InkML"'


def ink(tmp_path, body, name="a.inkml"):
    p = tmp_path / name
    p.write_text(f"<?xml version='1.0'?>\n<ink {NS}>\n{body}\n</ink>\n")
    return p


@settings(max_examples=50)
@given(rec=recordings(strings=True))
def test_write_read_is_lossless(tmp_path_factory, rec):
    assert_round_trip(rec, tmp_path_factory.mktemp("ink") / "r.inkml")


def test_traces_follow_pen_state(tmp_path):
    rec = Recording.from_arrays(t=np.arange(6) / 100, x=np.arange(6.0), y=np.zeros(6),
                                pen_down=[1, 1, 0, 0, 1, 1])
    p = tmp_path / "a.inkml"
    write_inkml(rec, p)
    text = p.read_text()
    assert text.count("<trace ") == 3 and text.count('type="penUp"') == 1
    assert read_inkml(p).n_strokes == 2


def test_foreign_file_cm_units_default_y_down(tmp_path):
    p = ink(tmp_path, """
      <traceFormat><channel name="X" units="cm"/><channel name="Y" units="cm"/>
        <channel name="T" units="ms"/><channel name="F" min="0" max="1023"/></traceFormat>
      <trace>0 0 0 0, 1 1 10 1023</trace>""")
    rec = penmotor.read(p)
    np.testing.assert_allclose(rec.x, [0, 10])
    np.testing.assert_allclose(rec.y, [0, -10])  # InkML Y grows downward by default
    np.testing.assert_allclose(rec.t, [0, 0.01])
    np.testing.assert_allclose(rec.pressure, [0, 1])


def test_difference_encoding_and_missing_values(tmp_path):
    # explicit, then first differences ('), then second differences ("), signs as separators
    p = ink(tmp_path, """
      <traceFormat><channel name="X" units="mm"/><channel name="Y" units="mm" orientation="-ve"/>
        <channel name="T" units="s"/><channel name="OTx" units="rad"/></traceFormat>
      <trace>10 0 0 0,'1'2'1?,"0"0"0?,1-2+1 0.5</trace>""")
    rec = read_inkml(p)
    # the difference mode is sticky: point 3 is still second differences
    np.testing.assert_allclose(rec.x, [10, 11, 12, 14])  # 10, +1, +1 (same velocity), +2
    np.testing.assert_allclose(rec.y, [0, 2, 4, 4])  # 0, +2, +2, +0 (acceleration -2)
    np.testing.assert_allclose(rec.t, [0, 1, 2, 4])  # 0, +1, +1, +2 (acceleration +1)
    assert np.isnan(rec.tilt_x[1]) and np.isnan(rec.tilt_x[2])
    np.testing.assert_allclose(rec.tilt_x[[0, 3]], np.rad2deg([0, 0.5]))


def test_resolution_channel_property_and_contexts(tmp_path):
    p = ink(tmp_path, """
      <definitions>
        <context xml:id="c1">
          <inkSource xml:id="s1" model="Test pad">
            <traceFormat><channel name="X"/><channel name="Y" orientation="-ve"/>
              <channel name="T" units="ms"/></traceFormat>
            <channelProperties>
              <channelProperty channel="X" name="resolution" value="1000" units="1/in"/>
              <channelProperty channel="Y" name="resolution" value="10" units="1/mm"/>
            </channelProperties>
          </inkSource>
        </context>
      </definitions>
      <traceGroup contextRef="#c1"><trace>0 0 0, 1000 100 5</trace></traceGroup>
      <trace contextRef="#c1" type="penUp">2000 200 10</trace>""")
    rec = read_inkml(p)
    np.testing.assert_allclose(rec.x, [0, 25.4, 50.8])
    np.testing.assert_allclose(rec.y, [0, 10, 20])
    assert rec.pen_down.tolist() == [True, True, False]


def test_units_never_guessed(tmp_path):
    p = ink(tmp_path, "<traceFormat><channel name='X'/><channel name='Y'/><channel name='T' units='ms'/>"
                      "</traceFormat><trace>0 0 0, 10 10 5</trace>")
    with pytest.raises(UnitsError, match="X"):
        read_inkml(p)
    rec = read_inkml(p, device=penmotor.Device("d", 10.0, 10.0))
    np.testing.assert_allclose(rec.x, [0, 1])
    q = ink(tmp_path, "<trace>0 0, 10 10</trace>", "b.inkml")  # default X Y, no time
    with pytest.raises(UnitsError, match="T"):
        read_inkml(q, device=penmotor.Device("d", 10.0, 10.0))
    r = ink(tmp_path, "<traceFormat><channel name='X' units='mm'/><channel name='Y' units='mm'/>"
                      "<channel name='T' units='s'/><channel name='F'/></traceFormat><trace>0 0 0 5</trace>",
            "c.inkml")
    with pytest.raises(UnitsError, match="F"):
        read_inkml(r)


def test_billion_laughs_rejected(tmp_path):
    p = tmp_path / "lol.inkml"
    ents = "".join(f'<!ENTITY lol{i} "{"&lol%d;" % (i - 1) * 10}">' for i in range(1, 10))
    p.write_text(f'<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY lol0 "lol">{ents}]>'
                 f"<ink {NS}><annotation>&lol9;</annotation><trace>0 0</trace></ink>")
    with pytest.raises(FormatError, match="unsafe XML"):
        read_inkml(p)


def test_external_entity_rejected(tmp_path):
    p = tmp_path / "xxe.inkml"
    p.write_text(f'<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                 f"<ink {NS}><annotation>&e;</annotation></ink>")
    with pytest.raises(FormatError, match="unsafe XML"):
        read_inkml(p)


@pytest.mark.parametrize(
    "body, match, line",
    [
        ("<trace>0 0 0, 1 2</trace", "not well-formed", 4),
        ("<traceFormat><channel name='X' units='mm'/><channel name='Y' units='mm'/>"
         "<channel name='T' units='s'/></traceFormat>\n<trace>0 0 0,\n1 1 1,\n1 2</trace>", "point 2", 6),
        ("<traceFormat><channel name='X' units='mm'/><channel name='Y' units='mm'/>"
         "<channel name='T' units='s'/></traceFormat>\n<trace>0 0 0,\n 1 % 1</trace>", "unexpected", 5),
        ("", "no trace data", None),
    ],
)
def test_malformed_files(tmp_path, body, match, line):
    p = ink(tmp_path, body)
    with pytest.raises(FormatError, match=match) as ei:
        read_inkml(p)
    assert ei.value.line == line and ei.value.path == str(p)


def test_not_ink_root(tmp_path):
    p = tmp_path / "a.inkml"
    p.write_text("<svg/>")
    with pytest.raises(FormatError, match="expected <ink>"):
        read_inkml(p)


def test_real_pahaw_round_trip(shared_data, tmp_path):
    f = sorted((shared_data / "pahaw").glob("HC-female/*.svc"))[0]
    rec = penmotor.read(f)
    penmotor.write(rec, tmp_path / "r.inkml")
    assert_same(rec, penmotor.read(tmp_path / "r.inkml"))
