"""penmotor: trustworthy numbers from children's handwriting, online (tablet) and scanned.

Quick tour
----------
>>> import penmotor
>>> rec = penmotor.synth.handwriting("hello world", x_height_mm=4.0, seed=1)
>>> f = penmotor.features(rec)
>>> round(f["x_height"], 0)
4.0
"""

from __future__ import annotations

from . import metrics  # noqa: F401  (registers every metric family in FEATURES)
from . import synth
from .devices import DEVICES, Device
from .errors import FormatError, ParameterError, PenmotorError, PenmotorWarning, UnitsError
from .io import read, write
from .recording import Recording
from .registry import FEATURES, features, features_table
from .synth import render

__version__ = "0.1.0"

__all__ = [
    "Recording",
    "Device",
    "DEVICES",
    "read",
    "write",
    "features",
    "features_table",
    "FEATURES",
    "synth",
    "render",
    "PenmotorError",
    "FormatError",
    "UnitsError",
    "ParameterError",
    "PenmotorWarning",
    "__version__",
]


