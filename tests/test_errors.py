"""penmotor.errors: messages that name the file, line, field or argument."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from penmotor.errors import (
    FormatError,
    ParameterError,
    PenmotorError,
    PenmotorWarning,
    UnitsError,
    as_float_array,
    valid_child_id,
)


def test_hierarchy() -> None:
    assert issubclass(UnitsError, FormatError) and issubclass(FormatError, PenmotorError)
    assert issubclass(ParameterError, ValueError) and issubclass(PenmotorWarning, UserWarning)


def test_format_error_names_where() -> None:
    e = FormatError("bad number", path="a.svc", line=7, field="x")
    assert str(e) == "a.svc, line 7, field 'x': bad number"
    assert (e.path, e.line, e.field, e.reason) == ("a.svc", 7, "x", "bad number")
    assert str(FormatError("plain")) == "plain"


def test_as_float_array() -> None:
    assert as_float_array(3, "x").tolist() == [3.0]
    with pytest.raises(ParameterError, match="x: expected numbers"):
        as_float_array(["a"], "x")
    with pytest.raises(ParameterError, match="y: expected a 1-D array"):
        as_float_array(np.zeros((2, 2)), "y")
    with pytest.raises(ParameterError, match="expected 3 values"):
        as_float_array([1, 2], "p", n=3)


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True))
def test_child_ids_need_a_digit(code) -> None:
    if any(c.isdigit() for c in code):
        assert valid_child_id(code) == code
    else:
        with pytest.raises(ParameterError, match="looks like a name"):
            valid_child_id(code)


@pytest.mark.parametrize("bad", ["Emma Smith", "a@b.org", "", "-C1", "C" * 70, None, 17])
def test_names_and_junk_are_refused(bad) -> None:
    with pytest.raises(ParameterError, match="pseudonymous code"):
        valid_child_id(bad)
