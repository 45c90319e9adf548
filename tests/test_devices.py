"""penmotor.devices: presets exist with the data model, and names resolve or fail clearly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from penmotor import Device, ParameterError
from penmotor.devices import DEVICES, get_device, register_device


def test_every_preset_is_defined_with_the_data_model() -> None:
    # a fresh interpreter importing only the data model already knows every preset
    code = "import penmotor.recording as r; print(sorted(r.DEVICES))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == sorted({"pahaw", "uci-cintiq12wx", "wacom-cintiq12wx", "wacom-intuos4"})


def test_get_device_resolves_names_and_devices() -> None:
    assert get_device("pahaw") is DEVICES["pahaw"]
    dev = Device("x", 10.0, 10.0)
    assert get_device(dev) is dev and get_device(None) is None
    with pytest.raises(ParameterError, match="unknown preset 'nope'"):
        get_device("nope")
    with pytest.raises(ParameterError, match="expected a penmotor.Device"):
        get_device(3)


def test_register_device_adds_a_preset() -> None:
    dev = register_device("test-tablet-devices", Device("T", 50.0, 50.0))
    try:
        assert get_device("test-tablet-devices") is dev
    finally:
        DEVICES.pop("test-tablet-devices")


def test_device_round_trips_through_a_dict() -> None:
    d = DEVICES["uci-cintiq12wx"]
    assert Device.from_dict(d.to_dict()) == d
    with pytest.raises(ParameterError, match="unknown field"):
        Device.from_dict({"name": "x", "colour": "red"})
