"""penmotor capture: pygame tablet sessions with full-rate pressure, tilt and hover, crash-safe.

Pen sources (live evdev, pygame mouse/touch on purpose, evemu replay) share one sample type
(:class:`PenSample` rows of :data:`SAMPLE_DTYPE` blocks) and one pure decoder
(:func:`decode` / :class:`Decoder`). A :class:`Session` files samples under task attempts,
journals them (fsync'd) and saves a :class:`penmotor.Recording`; :class:`CaptureWindow`
is the pygame front end (pygame is imported only when a window opens).

Examples
--------
>>> import penmotor_capture as pc
>>> s = pc.decode([0, 0, 0], [3, 3, 0], [0, 1, 0], [10, 20, 0])
>>> s["x"].tolist(), s["y"].tolist()
([10.0], [20.0])
"""

from __future__ import annotations

from .convert import split_attempts, to_recording
from .decoder import SAMPLE_DTYPE, Decoder, PenSample, decode, empty_samples
from .events import AbsInfo, DeviceInfo, EventStream, parse_evemu, read_evemu
from .journal import Journal, read_journal
from .session import NoSpaceError, Recovered, SaveError, Session, build_recording, recover, recover_all
from .sources import EvdevSource, MouseSource, NoTabletError, PenSource, ReplaySource, find_tablets
from .window import CaptureWindow, ask_child

__version__ = "0.1.0"

__all__ = [
    "PenSample",
    "SAMPLE_DTYPE",
    "Decoder",
    "decode",
    "empty_samples",
    "AbsInfo",
    "DeviceInfo",
    "EventStream",
    "parse_evemu",
    "read_evemu",
    "to_recording",
    "split_attempts",
    "Journal",
    "read_journal",
    "Session",
    "SaveError",
    "NoSpaceError",
    "Recovered",
    "build_recording",
    "recover",
    "recover_all",
    "PenSource",
    "EvdevSource",
    "ReplaySource",
    "MouseSource",
    "NoTabletError",
    "find_tablets",
    "CaptureWindow",
    "ask_child",
]
