"""The CDNOW reference data committed under ``tests/data/cdnow`` (see its README).

Each loader checks the file's sha256 first, so a changed file fails loudly
instead of moving the published figures the tests compare with.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from pathlib import Path

import pandas as pd

__all__ = ["DATA", "master", "master_csv", "sample", "sample_path"]

DATA = Path(__file__).resolve().parents[4] / "tests" / "data" / "cdnow"
SAMPLE_SHA256 = "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a"
MASTER_SHA256 = "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef"


def _checked(path: Path, expected: str) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    found = hashlib.sha256(data).hexdigest()
    assert found == expected, f"{path}: sha256 {found}, expected {expected}"
    return data


def sample_path() -> Path:
    """The 1/10 sample as committed (text, no header), its hash checked."""
    path = DATA / "CDNOW_sample.txt"
    _checked(path, SAMPLE_SHA256)
    return path


@functools.cache
def _sample() -> pd.DataFrame:
    return pd.read_csv(
        sample_path(),
        sep=r"\s+",
        header=None,
        names=["customer", "sample", "date", "cds", "amount"],
        dtype={"customer": str, "date": str},
    )


def sample() -> pd.DataFrame:
    """The sample: ``customer`` (text, e.g. ``00004``), ``sample``, ``date``
    (text YYYYMMDD), ``cds``, ``amount``; a fresh copy on each call."""
    return _sample().copy()


@functools.cache
def _master() -> pd.DataFrame:
    path = DATA / "CDNOW_master.txt.gz"
    _checked(path, MASTER_SHA256)
    frame = pd.read_csv(
        path,
        sep=r"\s+",
        dtype={"customer_id": str, "date": str},
    )
    return frame.rename(
        columns={"customer_id": "customer", "number_of_cds": "cds"}
    ).rename(columns={"dollar_value": "amount"})


def master() -> pd.DataFrame:
    """The full file, columns as :func:`sample` without ``sample``."""
    return _master().copy()


def master_csv(folder: Path) -> Path:
    """The full file as a CSV with a header (``customer,date,cds,amount``)."""
    path = folder / "cdnow_master.csv"
    master().to_csv(path, index=False)
    return path
