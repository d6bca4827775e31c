"""The care app's hooks for other apps.

:data:`customer_lapsed` is sent once per warning that lapses (the plan's last
step brought no purchase), after the evaluation's transaction commits, with
``warning`` (the :class:`~guanxi.care.models.ChurnWarning`) and
``customer_id``: the churn-reason survey of the feedback work connects here.
A receiver that fails is logged and does not stop the others.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["customer_lapsed"]

customer_lapsed = Signal()
