"""What the care API shows of a task and a warning (customers by the number
or pseudonym the caller knows them by)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.care.choices import LeaveReason, Outcome, Remedy
from guanxi.care.models import CareTask, ChurnWarning
from guanxi.care.words import signal_reason
from guanxi.core.serializers import DeclaredSerializer, NoteField
from guanxi.customers.presenters import customer_ref


class WarningSerializer(serializers.ModelSerializer[ChurnWarning]):
    customer = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = ChurnWarning
        fields = [
            "id", "customer", "status", "signals", "reasons", "opened_as_of",
            "as_of", "opened_at", "closed_at",
        ]  # fmt: skip

    def get_customer(self, warning: ChurnWarning) -> str:
        return customer_ref(warning.customer_id, policy=self.context["policy"])

    def get_reasons(self, warning: ChurnWarning) -> list[str]:
        """Each signal in plain words, in the caller's language."""
        return [signal_reason(s, warning.signals[s]) for s in warning.signal_keys()]


class TaskSerializer(serializers.ModelSerializer[CareTask]):
    # Encrypted at rest, stored as NULL when empty; always a text here.
    note = serializers.CharField(allow_blank=True, required=False)
    customer = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = CareTask
        fields = [
            "id", "customer", "warning", "owner", "status", "priority", "due_on",
            "reasons", "remedy", "outcome", "leave_reason", "remedy_offered",
            "note", "created_at", "closed_at",
        ]  # fmt: skip

    def get_customer(self, task: CareTask) -> str:
        return customer_ref(task.customer_id, policy=self.context["policy"])

    def get_owner(self, task: CareTask) -> str | None:
        return task.owner.get_username() if task.owner is not None else None

    def get_reasons(self, task: CareTask) -> list[str]:
        if task.warning is None:  # a journey's task
            return []
        signals = task.warning.signals
        return [signal_reason(s, signals[s]) for s in task.warning.signal_keys()]


def _refused(message: Any) -> dict[str, Any]:
    return dict.fromkeys(("invalid_choice", "required", "null", "blank"), message)


#: The service's messages (guanxi.care.services.task_close), said here first.
NO_OUTCOME = _("Choose an outcome: reached or not reached.")
BAD_REASON = _(
    "Unknown reason for leaving: choose price, service, product, "
    "competitor, moved or other."
)
BAD_REMEDY = _(
    "Unknown remedy: choose coupon, free upgrade, a call from the account "
    "manager or none."
)


class TaskCloseSerializer(DeclaredSerializer):
    """The outcome of a task."""

    outcome = serializers.ChoiceField(
        choices=Outcome.choices, error_messages=_refused(NO_OUTCOME)
    )
    leave_reason = serializers.ChoiceField(
        choices=LeaveReason.choices,
        required=False,
        allow_blank=True,
        error_messages=_refused(BAD_REASON),
    )
    remedy_offered = serializers.ChoiceField(
        choices=Remedy.choices,
        required=False,
        allow_blank=True,
        error_messages=_refused(BAD_REMEDY),
    )
    note = NoteField(required=False, allow_blank=True)
