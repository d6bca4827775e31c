"""Fixtures of the journeys tests: English messages, a real SMTP server the
e-mail channel points at, a stored template and a journey factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.outbox import channel_settings_fresh, english, smtp

from guanxi.messaging.tests.servers import SmtpRecorder

__all__ = ["channel_settings_fresh", "english", "smtp"]


@pytest.fixture(autouse=True)
def fresh_definitions() -> Iterator[None]:
    """Versions are cached by id: a rolled-back test's ids come again."""
    from guanxi.journeys.engine import _definitions

    _definitions.clear()
    yield
    _definitions.clear()


@pytest.fixture
def template(users: dict[str, Any], smtp: SmtpRecorder) -> Any:
    from guanxi.messaging.services import template_save
    from guanxi.messaging.stored import TemplateFields

    return template_save(
        actor=users["admin"],
        fields=TemplateFields(
            name="checkin",
            channel="email",
            purpose="service",
            subject_zh="您好",
            body_zh="您好 {{ name }}，使用过程中有什么需要帮助的吗？",
        ),
    )


@pytest.fixture
def make_journey(users: dict[str, Any]) -> Any:
    from guanxi.journeys.services import journey_create, journey_set_state

    def make(definition: dict[str, Any], *, on: bool = True, **values: Any) -> Any:
        values.setdefault("slug", "test")
        journey = journey_create(
            actor=users["operations"],
            name_zh="测试",
            name_en="Test",
            definition=definition,
            **values,
        )
        if on:
            journey = journey_set_state(
                actor=users["admin"], slug=journey.slug, on=True
            )
        return journey

    return make
