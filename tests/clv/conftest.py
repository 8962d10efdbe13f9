"""Fixtures for the CLV engine tests: the published data sets, read without pandas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running test (still part of the default run)")


@pytest.fixture(scope="session")
def cdnow_published() -> dict[str, np.ndarray]:
    """Return the published CDNOW calibration summary (weeks 1-39)."""
    d = np.loadtxt(
        DATA / "cdnow_customers_summary_with_transactions.csv", delimiter=",", skiprows=1
    )
    return {"id": d[:, 0], "x": d[:, 1], "t_x": d[:, 2], "T": d[:, 3], "zbar": d[:, 4]}


@pytest.fixture(scope="session")
def cdnow_raw() -> dict[str, np.ndarray]:
    """Return the raw CDNOW sample log: sample id, day, dollar value per row."""
    raw = np.loadtxt(DATA / "CDNOW_sample.txt", dtype=str)
    dates = np.array([f"{s[:4]}-{s[4:6]}-{s[6:]}" for s in raw[:, 2]], dtype="datetime64[D]")
    return {
        "master_id": raw[:, 0],
        "id": raw[:, 1].astype(int),
        "date": dates,
        "amount": raw[:, 4].astype(float),
    }
