"""The Content-Security-Policy and Permissions-Policy headers on every
response (Django's SecurityMiddleware sets HSTS, Referrer-Policy,
X-Content-Type-Options and Cross-Origin-Opener-Policy; XFrameOptionsMiddleware
X-Frame-Options).

Scripts come from this server only: htmx, ECharts and the pages' own files
under ``/static/``; an inline ``<script>`` runs only with the request's nonce
(``{{ request.csp_nonce }}``), and inline event handlers (``onclick=``) do not
run at all (``web/forms.js`` does their work from ``data-`` attributes).
Styles may be inline: htmx adds a ``<style>`` for its indicators and pages use
``style=""`` attributes; a style cannot run code. ``frame-ancestors 'none'``:
no other site frames a page (clickjacking). ReDoc renders in a worker made
from a ``blob:``.

On by default everywhere, so that a page that needs more than the policy
allows fails in development and in the browser tests, not first in
production. ``GUANXI_CSP=0`` switches it off.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

__all__ = ["SecurityHeadersMiddleware", "content_security_policy"]

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Gives each request a nonce (``request.csp_nonce``) and each response
    the policy that names it, unless the response set one of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if settings.GUANXI_CSP:
            response.headers.setdefault(
                "Content-Security-Policy", content_security_policy(nonce)
            )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
