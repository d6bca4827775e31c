"""Forms of the import wizard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import ValidationFailed
from guanxi.core.values import clean_line
from guanxi.ingest.choices import ImportKind
from guanxi.ingest.presets import FIELD_LABELS, FIELDS, PERSON_FIELDS, REQUIRED


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    preset = forms.ChoiceField(label=_("Layout (preset)"))
    source = forms.CharField(
        label=_("Source system"),
        max_length=32,
        required=False,
        help_text=_("Name of the system the file comes from; ids are kept per source."),
    )
    file = forms.FileField(label=_("CSV or XLSX file"))

    def __init__(self, *args: Any, presets: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        preset_field = self.fields["preset"]
        assert isinstance(preset_field, forms.ChoiceField)
        preset_field.choices = presets

    def clean_source(self) -> str:
        """The text rules of every way in (``clean_line``), as ``--source``."""
        try:
            return clean_line(self.cleaned_data["source"], field="source")
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not str(upload.name).lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("choose a .csv or .xlsx file"))
        return upload


class MappingForm(forms.Form):
    """One choice per field: which header of the file holds it (or none)."""

    save_as = forms.CharField(
        label=_("Save this mapping as a preset named"), max_length=64, required=False
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        headers: list[str],
        initial_mapping: dict[str, str],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        choices = [("", _("— not in this file —")), *((h, h) for h in headers if h)]
        for name in FIELDS[kind]:
            field = forms.ChoiceField(
                label=FIELD_LABELS.get(name, name),
                choices=choices,
                required=False,
                initial=initial_mapping.get(name, ""),
            )
            self.fields[f"map_{name}"] = field
        self.order_fields([*(f"map_{n}" for n in FIELDS[kind]), "save_as"])

    def field_rows(self) -> list[dict[str, Any]]:
        """Each field's choice, and whether it is required or one of those
        that tie a row to a person (at least one of them is needed)."""
        return [
            {
                "field": self[f"map_{name}"],
                "need": "required"
                if name in REQUIRED[self.kind]
                else "person"
                if name in PERSON_FIELDS[self.kind]
                else "",
            }
            for name in FIELDS[self.kind]
        ]

    def chosen(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"map_{name}") or ""
            for name in FIELDS[self.kind]
        }
