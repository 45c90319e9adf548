"""Shared fixtures: a seeded rng and the path to the real recordings in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "penmotor", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "penmotor"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PENMOTOR_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator (same numbers every run)."""
    return np.random.default_rng(20261127)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real recordings); skips the test when the folder is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real recordings not found at {SHARED} (set PENMOTOR_SHARED_DATA)")
    return SHARED
