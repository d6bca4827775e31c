"""The database's tables, brought up to date before a data command runs.

``guanxi start`` migrates every time it starts. The data commands (``demo``,
``import``, ``export``, ``api-token``, ``score``) may be the first thing
someone runs in a new data folder, or after an upgrade; rather than failing
with "no such table", they apply the migrations that are missing first, and
say so.
"""

from __future__ import annotations

from typing import TextIO

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _


def pending_migrations() -> int:
    """How many migrations the database still lacks."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def schema_ensure(stderr: TextIO) -> None:
    """Apply the missing migrations, with a line on ``stderr`` when there are any."""
    missing = pending_migrations()
    if missing:
        stderr.write(
            _("Preparing the database (%(count)d steps)…") % {"count": missing} + "\n"
        )
        call_command("migrate", interactive=False, verbosity=0)
