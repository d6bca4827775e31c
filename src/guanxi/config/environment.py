"""Which way Guanxi runs (embedded or production) and its data folder: read first."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

__all__ = ["DATA_DIR", "ENV", "PRODUCTION"]

ENV = os.environ.get("GUANXI_ENV", "embedded")
if ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured(
        f"GUANXI_ENV must be 'embedded' or 'production', not {ENV!r}"
    )
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("GUANXI_DATA_DIR", "var")).resolve()
