"""Template context: the current user's role and policy."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.access.policies import policy_for


def role(request: HttpRequest) -> dict[str, Any]:
    policy = policy_for(getattr(request, "user", None))
    return {"policy": policy, "role": policy.role}
