"""The playbook editor's form: one row of stage × quadrant → action."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import ValidationFailed
from guanxi.core.values import clean_multiline
from guanxi.insights.choices import Quadrant, Stage
from guanxi.insights.models import PlaybookAction

__all__ = ["PlaybookActionForm"]

TITLE_LIMIT = 80
TEXT_LIMIT = 1000


def _one_line(value: str) -> str:
    # Not clean_line: its NFKC folding would turn Chinese punctuation
    # (，：（）) into ASCII. Control characters are refused alike.
    try:
        return " ".join(
            clean_multiline(value, field="title", limit=TITLE_LIMIT).split()
        )
    except ValidationFailed as exc:
        raise forms.ValidationError(exc.message) from None


def _text(value: str) -> str:
    try:
        return clean_multiline(value, field="text", limit=TEXT_LIMIT)
    except ValidationFailed as exc:
        raise forms.ValidationError(exc.message) from None


class PlaybookActionForm(forms.ModelForm):  # type: ignore[type-arg]
    priority = forms.IntegerField(
        label=_("priority"),
        min_value=0,
        max_value=100,
        help_text=PlaybookAction._meta.get_field("priority").help_text,
    )

    class Meta:
        model = PlaybookAction
        fields = [
            "stage",
            "quadrant",
            "priority",
            "channel",
            "title_zh",
            "title_en",
            "text_zh",
            "text_en",
        ]
        widgets = {
            "text_zh": forms.Textarea(attrs={"rows": 4}),
            "text_en": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # The blank choice means any stage or any quadrant, not "unset".
        self.fields["stage"].choices = [("", _("Any")), *Stage.choices]  # type: ignore[attr-defined]
        self.fields["quadrant"].choices = [("", _("Any")), *Quadrant.choices]  # type: ignore[attr-defined]

    def clean_title_zh(self) -> str:
        return _one_line(self.cleaned_data["title_zh"])

    def clean_title_en(self) -> str:
        return _one_line(self.cleaned_data["title_en"])

    def clean_text_zh(self) -> str:
        return _text(self.cleaned_data["text_zh"])

    def clean_text_en(self) -> str:
        return _text(self.cleaned_data["text_en"])
