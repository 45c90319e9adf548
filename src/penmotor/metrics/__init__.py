"""Metric families. Importing this package registers every family in :data:`penmotor.FEATURES`.

Each family is a module of pure, vectorised functions ``f(rec, *, params) -> float``:
``kinematics``, ``pressure``, ``temporal``, ``tremor``, ``spiral``, ``sizing``,
``spacing``, ``lines``, ``geometry``.
"""

from __future__ import annotations

import importlib

__all__ = ["kinematics", "pressure", "temporal", "tremor", "spiral", "sizing", "spacing", "lines", "geometry"]

for _m in __all__:
    try:
        importlib.import_module(f"{__name__}.{_m}")
    except ModuleNotFoundError as _exc:  # pragma: no cover - while a family is being written
        if _exc.name != f"{__name__}.{_m}":
            raise
