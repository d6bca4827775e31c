"""Settings: the Huey task queue (SQLite under the data folder, or Redis)."""

from __future__ import annotations

import os

from guanxi.config.environment import DATA_DIR
from guanxi.core.files import private_file, private_folder

__all__ = ["HUEY", "REDIS_URL"]

# Background work: Huey on SQLite by default, on Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "guanxi",
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "guanxi",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
    }
    private_folder(DATA_DIR)
    private_file(DATA_DIR / "huey.sqlite3")  # task arguments: private too
if os.environ.get("GUANXI_HUEY_IMMEDIATE") == "1":
    HUEY["immediate"] = True
