"""Metric families: importing this package registers every family in :data:`penmotor.FEATURES`.

Each family is a module of pure, vectorised functions ``f(rec, *, params) -> float``:
``kinematics``, ``pressure``, ``temporal``, ``tremor``, ``spiral``, ``sizing``,
``spacing``, ``lines``, ``geometry``, ``consistency``. :mod:`~penmotor.metrics.scan_only` declares the
metrics that only the scanned-worksheet pipeline (:mod:`penmotor.scan`) computes.
:mod:`penmotor` imports this package, so the registry is complete after ``import penmotor``.
"""

from __future__ import annotations

from . import geometry, kinematics, lines, pressure, sizing, spacing, spiral, temporal, tremor
from . import consistency  # after temporal and geometry, whose per-stroke quantities it summarises
from . import scan_only  # last: scan-only names follow the online ones in the registry

__all__ = ["kinematics", "pressure", "temporal", "tremor", "spiral", "sizing", "spacing", "lines", "geometry",
           "consistency", "scan_only"]
