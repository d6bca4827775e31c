"""Signed survey links: the token names the invitation, its customer and a
nonce kept with the invitation, so a link cannot be made for another
customer or guessed; expiry and "answered once" are the invitation's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "guanxi.surveys.link"


@dataclass(frozen=True)
class LinkData:
    invitation_id: int
    customer_id: int
    nonce: str


def survey_token(*, invitation_id: int, customer_id: int, nonce: str) -> str:
    data: dict[str, Any] = {"i": invitation_id, "c": customer_id, "n": nonce}
    return signing.dumps(data, salt=SALT, compress=True)


def survey_token_read(token: str) -> LinkData | None:
    """What a token names; None when it is not one of ours."""
    if len(token) > 400:
        return None
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    i, c, n = data.get("i"), data.get("c"), data.get("n")
    if not (isinstance(i, int) and isinstance(c, int) and isinstance(n, str)):
        return None
    return LinkData(i, c, n)


def survey_url(*, invitation_id: int, customer_id: int, nonce: str) -> str:
    base = str(settings.GUANXI_PUBLIC_URL).rstrip("/")
    token = survey_token(
        invitation_id=invitation_id, customer_id=customer_id, nonce=nonce
    )
    return base + reverse("surveys-public:answer", args=[token])
