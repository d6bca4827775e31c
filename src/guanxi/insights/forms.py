"""The settings form: the business's cut points and rules, checked together."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.values import MAX_AMOUNT
from guanxi.insights.choices import ENGAGEMENT_POINTS
from guanxi.insights.models import InsightSettings

#: field → (lowest, highest) allowed, both included.
BOUNDS: dict[str, tuple[float, float]] = {
    "cv_window_days": (7, 1825),
    "pv_horizon_months": (1, 60),
    "new_days": (1, 365),
    "mature_days": (1, 3650),
    "at_risk_p_alive": (0, 1),
    "at_risk_gap_factor": (1, 20),
    "at_risk_days": (1, 3650),
    "lapsed_days": (1, 3650),
    "lapsed_gap_factor": (1, 50),
    "emotion_window_days": (7, 730),
    "fan_points": (-1000, 1000),
    "drifting_points": (-1000, 1000),
    "drifting_complaints": (1, 100),
    "weight_spend": (0, 1),
    "weight_frequency": (0, 1),
    "weight_repurchase": (0, 1),
    "points_purchase": (-100, 100),
    **dict.fromkeys(ENGAGEMENT_POINTS.values(), (-100, 100)),
}


GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        gettext_lazy("Value quadrant"),
        (
            "cv_window_days",
            "pv_horizon_months",
            "cut_method",
            "cv_top_percent",
            "pv_top_percent",
            "cv_cut_amount",
            "pv_cut_amount",
            "weight_spend",
            "weight_frequency",
            "weight_repurchase",
        ),
    ),
    (
        gettext_lazy("Lifecycle stage"),
        (
            "new_days",
            "mature_days",
            "at_risk_p_alive",
            "at_risk_gap_factor",
            "at_risk_days",
            "lapsed_days",
            "lapsed_gap_factor",
        ),
    ),
    (
        gettext_lazy("Emotion layer"),
        (
            "emotion_window_days",
            "fan_points",
            "drifting_points",
            "drifting_complaints",
            "points_visit",
            "points_login",
            "points_message_opened",
            "points_message_clicked",
            "points_community_post",
            "points_event_attended",
            "points_review",
            "points_purchase",
            "points_complaint",
        ),
    ),
)


class InsightSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = InsightSettings
        fields = [name for _title, names in GROUPS for name in names]

    groups = GROUPS

    def grouped(self) -> list[tuple[Any, list[Any]]]:
        return [(title, [self[name] for name in names]) for title, names in self.groups]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for name, (low, high) in BOUNDS.items():
            value = data.get(name)
            if value is not None and not low <= float(value) <= high:
                self.add_error(
                    name,
                    _("Enter a number from %(low)s to %(high)s.")
                    % {"low": _number(low), "high": _number(high)},
                )
        for name in ("cv_top_percent", "pv_top_percent"):
            value = data.get(name)
            if value is not None and not 0 < float(value) < 100:
                self.add_error(name, _("Enter a share above 0 and below 100."))
        for name in ("cv_cut_amount", "pv_cut_amount"):
            value = data.get(name)
            if value is not None and not Decimal(0) <= value <= MAX_AMOUNT:
                self.add_error(
                    name,
                    _("Enter an amount from 0 to %(max)s.")
                    % {"max": f"{MAX_AMOUNT:,}"},
                )
        weights = [
            data.get(n)
            for n in ("weight_spend", "weight_frequency", "weight_repurchase")
        ]
        given = [float(w) for w in weights if w is not None]
        if len(given) == len(weights) and sum(given) <= 0:
            self.add_error(None, _("The weights of the value score must not all be 0."))
        new, mature = data.get("new_days"), data.get("mature_days")
        if new is not None and mature is not None and mature <= new:
            self.add_error(
                "mature_days",
                _(
                    "A customer becomes mature later than they stop being new: "
                    "enter more days than for new."
                ),
            )
        risk, lapsed = data.get("at_risk_gap_factor"), data.get("lapsed_gap_factor")
        if risk is not None and lapsed is not None and lapsed < risk:
            self.add_error(
                "lapsed_gap_factor",
                _("Lapsed comes after at risk: enter at least the at-risk factor."),
            )
        fan, drifting = data.get("fan_points"), data.get("drifting_points")
        if fan is not None and drifting is not None and fan <= drifting:
            self.add_error(
                "fan_points", _("Fans need more points than drifting customers have.")
            )
        return data


def _number(value: float) -> str:
    return f"{value:g}"
