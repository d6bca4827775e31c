"""Stage 2, map: which column of the file holds which field.

An explicit mapping first, then the chosen preset's, then known header names
(:mod:`guanxi.ingest.presets`). Presets are shipped ones or saved by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.ingest.errors import ImportRejected, RowError
from guanxi.ingest.models import ImportPreset
from guanxi.ingest.presets import (
    BUILTIN_PRESETS,
    FIELDS,
    PERSON_FIELDS,
    REQUIRED,
    Mapping,
    Preset,
    auto_mapping,
    header_key,
)

__all__ = ["Columns", "import_preset_save", "preset_get", "resolve_mapping"]

#: Where one field is in the file: ``[(column index, header), …]``, the first
#: non-empty of these cells giving the value.
Spots = list[tuple[int, str]]


def preset_get(*, name: str, kind: str) -> Preset:
    """A shipped preset, or one saved in the database."""
    builtin = BUILTIN_PRESETS.get((name, kind))
    if builtin is not None:
        return builtin
    saved = ImportPreset.objects.filter(name=name, kind=kind).first()
    if saved is None:
        raise ValidationFailed(
            _('no preset "%(name)s" for %(kind)s') % {"name": name, "kind": kind}
        )
    generic = BUILTIN_PRESETS[("generic", kind)]
    return Preset(
        name=saved.name,
        kind=saved.kind,
        label=saved.name,
        mapping=saved.mapping,
        source=saved.source,
        status_values=generic.status_values,
    )


def _check_mapping_shape(kind: str, mapping: Any) -> Mapping:
    if not isinstance(mapping, dict):
        raise ValidationFailed(_("the mapping must be a JSON object {field: header}"))
    for key, value in mapping.items():
        if key not in FIELDS[kind]:
            raise ValidationFailed(
                _('unknown field "%(field)s" (known: %(known)s)')
                % {"field": key, "known": ", ".join(FIELDS[kind])}
            )
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            raise ValidationFailed(
                _('the header for "%(field)s" must be a text or a list of texts')
                % {"field": key}
            )
    return mapping


@transaction.atomic
def import_preset_save(
    *, name: str, kind: str, mapping: Mapping, source: str = "import"
) -> ImportPreset:
    """Save (or replace) a named mapping. Shipped presets cannot be replaced."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("a preset needs a name"))
    if (name, kind) in BUILTIN_PRESETS:
        raise ValidationFailed(
            _('"%(name)s" is a shipped preset; choose another name') % {"name": name}
        )
    mapping = _check_mapping_shape(kind, mapping)
    preset, _created = ImportPreset.objects.update_or_create(
        name=name, kind=kind, defaults={"mapping": mapping, "source": source}
    )
    return preset


@dataclass
class Columns:
    """Where each field is in the file: ``field -> [(index, header), …]``."""

    where: dict[str, Spots]

    def has(self, name: str) -> bool:
        return name in self.where

    def cell(self, cells: list[Any], name: str) -> tuple[Any, str]:
        """The first non-empty cell for ``name`` and its header ("" if none)."""
        spots = self.where.get(name)
        if not spots:
            return None, ""
        for index, header in spots:
            if index < len(cells):
                value = cells[index]
                if value is not None and (not isinstance(value, str) or value.strip()):
                    return value, header
        return None, spots[0][1]

    def header(self, name: str) -> str:
        spots = self.where.get(name)
        return spots[0][1] if spots else name


def resolve_mapping(
    *,
    kind: str,
    headers: list[str],
    preset: Preset,
    mapping: Mapping | None = None,
    check: bool = True,
) -> Columns:
    """Explicit mapping, then the preset's, then known header names, in that order.

    Raises :class:`ImportRejected` (line 1) for a named header that is not in the
    file and for a missing required column.
    """
    explicit = _check_mapping_shape(kind, mapping or {})
    positions = {header_key(h): (i, h) for i, h in reversed(list(enumerate(headers)))}
    where: dict[str, Spots] = {}
    used: set[str] = set()
    errors: list[RowError] = []

    def place(name: str, wanted: str | list[str], *, strict: bool) -> None:
        spots = []
        for header in [wanted] if isinstance(wanted, str) else wanted:
            found = positions.get(header_key(header))
            if found is None:
                if strict and header:
                    errors.append(
                        RowError(
                            line=1,
                            column=header,
                            value="",
                            message=_("column not found in the file"),
                        )
                    )
                continue
            spots.append(found)
            used.add(header_key(found[1]))
        if spots:
            where[name] = spots

    for name, wanted in explicit.items():
        place(name, wanted, strict=True)
    for name, wanted in preset.mapping.items():
        if name not in explicit:
            place(name, wanted, strict=False)
    free = [h for h in headers if header_key(h) not in used]
    for name, header in auto_mapping(kind, free).items():
        if name not in where and name not in explicit and isinstance(header, str):
            place(name, header, strict=False)
    for name in REQUIRED[kind]:
        if name not in where:
            errors.append(_missing_column(kind, name))
    if not any(name in where for name in PERSON_FIELDS[kind]):
        errors.append(
            RowError(
                line=1,
                column="",
                value="",
                message=_(
                    "the file has no customer column (phone, email, name or customer id)"
                ),
            )
        )
    if errors and check:
        raise ImportRejected(errors)
    return Columns(where=where)


def _missing_column(kind: str, name: str) -> RowError:
    names = FIELDS[kind][name][:3]
    return RowError(
        line=1,
        column=name,
        value="",
        message=_("no column for %(field)s (expected a header like %(names)s)")
        % {"field": name, "names": ", ".join(names)},
    )
