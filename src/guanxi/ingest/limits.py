"""How much one import file may hold, so that a hostile or broken file cannot
take the server's memory or time.

Every bound has a default that a real file from a till, a web shop or an old CRM
stays well inside (a million orders is about 80 MB of CSV, 15 MB of XLSX), and
an environment variable an admin can raise it with (read once, in settings):

==========================  ==============================  ==========
bound                       variable                        default
==========================  ==============================  ==========
rows per file               ``GUANXI_IMPORT_MAX_ROWS``      2,000,000
columns per row             ``GUANXI_IMPORT_MAX_COLUMNS``   500
characters per cell         ``GUANXI_IMPORT_MAX_CELL``      32,767
characters per CSV line     ``GUANXI_IMPORT_MAX_LINE``      1,000,000
upload size (MB)            ``GUANXI_IMPORT_MAX_UPLOAD_MB`` 512
XLSX: unpacked size (MB)    ``GUANXI_IMPORT_MAX_UNPACKED_MB`` 2,048
problems listed             ``GUANXI_IMPORT_MAX_ERRORS``    50
==========================  ==============================  ==========

32,767 characters is Excel's own limit for one cell. The XLSX archive is also
held to at most 1,000 members, and a member that unpacks to more than 16 MB
must not unpack to more than 200 times its packed size: a spreadsheet's XML
packs 5 to 30 times, a decompression bomb about 1,000 times.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

__all__ = ["FileLimits", "file_limits"]

MB = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    max_rows: int = 2_000_000
    max_columns: int = 500
    max_cell_chars: int = 32_767
    max_line_chars: int = 1_000_000
    max_upload_bytes: int = 512 * MB
    max_unpacked_bytes: int = 2048 * MB
    max_members: int = 1_000
    max_ratio: int = 200
    ratio_from_bytes: int = 16 * MB
    max_errors: int = 50


def file_limits() -> FileLimits:
    """The limits in force: the defaults, with what the settings raise or lower."""
    configured = getattr(settings, "GUANXI_IMPORT_LIMITS", {}) or {}
    return FileLimits(**configured)
