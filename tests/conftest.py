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
# CI explores the same examples every run (a red CI must mean a change broke something);
# local runs keep exploring new ones and replay any failure from the example database.
settings.register_profile("ci", parent=settings.get_profile("penmotor"), derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "penmotor"))

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


@pytest.fixture(scope="session")
def evemu_dir(shared_data: Path) -> Path:
    """``shared_data/evemu`` (recorded tablet event streams); skips the test when absent."""
    d = shared_data / "evemu"
    if not d.is_dir():
        pytest.skip("evemu recordings absent")
    return d


@pytest.fixture(scope="session")
def pahaw_spiral_files(shared_data: Path) -> list[Path]:
    """The PaHaW spiral recordings (task 1, ``*/*.1_1.svc``), sorted; skips the test when there is none."""
    files = sorted((shared_data / "pahaw").glob("*/*.1_1.svc"))
    if not files:
        pytest.skip("no PaHaW spiral (task 1) files")
    return files


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium for the browser tests: ``$PENMOTOR_TEST_CHROMIUM`` (set by
    scripts/test-services.sh) or ``/usr/bin/chromium``; skips without it, fails under CI=true."""
    exe = os.environ.get("PENMOTOR_TEST_CHROMIUM") or "/usr/bin/chromium"
    if not Path(exe).is_file():
        msg = ("headless Chromium: $PENMOTOR_TEST_CHROMIUM not set or missing "
               "(scripts/test-services.sh installs the Debian 'chromium' package when run as root)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"under CI=true this must not skip: {msg}")
        pytest.skip(msg)
    return exe

