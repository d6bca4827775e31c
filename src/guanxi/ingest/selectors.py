"""Reads for imports: jobs and presets, for roles that may import only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound
from guanxi.ingest.models import ImportJob, ImportPreset
from guanxi.ingest.presets import BUILTIN_PRESETS

__all__ = ["import_job_get", "import_job_list", "import_preset_choices"]


def _check(actor: Any) -> None:
    # Roles that may not import are answered as if imports did not exist.
    if not policy_for(actor).may_import:
        raise NotFound(_("not found"))


def import_job_list(*, actor: Any) -> QuerySet[ImportJob]:
    _check(actor)
    return ImportJob.objects.select_related("created_by").order_by("-id")


def import_job_get(*, actor: Any, pk: int) -> ImportJob:
    """Every role that may import sees every import job (they share the work)."""
    _check(actor)
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None:
        raise NotFound(_("no such import"))
    return job


def import_preset_choices(*, kind: str | None = None) -> list[tuple[str, str]]:
    """``(name, label)`` of shipped and saved presets, shipped first."""
    seen: dict[str, str] = {}
    for (name, preset_kind), preset in BUILTIN_PRESETS.items():
        if kind is None or preset_kind == kind:
            seen.setdefault(name, str(preset.label))
    saved = ImportPreset.objects.order_by("name")
    if kind is not None:
        saved = saved.filter(kind=kind)
    for saved_preset in saved:
        seen.setdefault(saved_preset.name, saved_preset.name)
    return list(seen.items())
