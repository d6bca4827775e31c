"""Settings: login, sessions, HTTPS and security headers, login lockout (django-axes)."""

from __future__ import annotations

import os

from guanxi.config.environment import PRODUCTION

# Only the names this run defines (some exist in production or behind proxies).
__all__ = [
    "AXES_CLIENT_IP_CALLABLE",
    "AXES_COOLOFF_TIME",
    "AXES_ENABLED",
    "AXES_FAILURE_LIMIT",
    "AXES_HANDLER",
    "AXES_LOCKOUT_PARAMETERS",
    "AXES_LOCKOUT_TEMPLATE",
    "AXES_RESET_ON_SUCCESS",
    "CSRF_FAILURE_VIEW",
    "GUANXI_CSP",
    "GUANXI_LOGIN_ADDRESS_LIMIT",
    "GUANXI_REAUTH_MINUTES",
    "GUANXI_SESSION_IDLE_MINUTES",
    "GUANXI_SESSION_MAX_HOURS",
    "GUANXI_TRUSTED_PROXIES",
    "LOGIN_REDIRECT_URL",
    "LOGIN_URL",
    "LOGOUT_REDIRECT_URL",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_AGE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "X_FRAME_OPTIONS",
]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "guanxi.web.errors.csrf_failure"
if PRODUCTION:
    SESSION_COOKIE_SECURE = os.environ.get("GUANXI_HTTPS", "1") == "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # HTTPS only (docs/security.md): plain HTTP is redirected, and browsers are
    # told to use HTTPS for GUANXI_HSTS_SECONDS (a year) from their first visit.
    SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = (
        int(os.environ.get("GUANXI_HSTS_SECONDS", "31536000"))
        if SESSION_COOKIE_SECURE
        else 0
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = (
        os.environ.get("GUANXI_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    )
    SECURE_HSTS_PRELOAD = os.environ.get("GUANXI_HSTS_PRELOAD", "1") == "1"
    __all__ += [
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
    ]
# Behind a reverse proxy that terminates TLS, the proxy says the request came
# over HTTPS with X-Forwarded-Proto; believed only when proxies are configured
# (GUANXI_TRUSTED_PROXIES, below), as only they should reach the server.
if os.environ.get("GUANXI_TRUSTED_PROXIES", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    __all__ += ["SECURE_PROXY_SSL_HEADER"]
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy and Permissions-Policy (guanxi.access.headers).
GUANXI_CSP = os.environ.get("GUANXI_CSP", "1") == "1"

# Sessions (guanxi.access.sessions): a session ends after
# GUANXI_SESSION_IDLE_MINUTES without a request, and GUANXI_SESSION_MAX_HOURS
# after its login whatever happens; and at once when the user is deactivated or
# their role changes. Changing one's password, a colleague's role or e-mail
# asks for the password again when it was last given more
# than GUANXI_REAUTH_MINUTES ago.
GUANXI_SESSION_IDLE_MINUTES = int(os.environ.get("GUANXI_SESSION_IDLE_MINUTES", "30"))
GUANXI_SESSION_MAX_HOURS = int(os.environ.get("GUANXI_SESSION_MAX_HOURS", "12"))
GUANXI_REAUTH_MINUTES = int(os.environ.get("GUANXI_REAUTH_MINUTES", "10"))
# The stored session outlives the limit by an hour, so that the person is
# told why they were logged out rather than finding themselves on the login page.
SESSION_COOKIE_AGE = (GUANXI_SESSION_MAX_HOURS + 1) * 3600

# Login lockout (guanxi.access.logins): AXES_FAILURE_LIMIT wrong passwords
# for one user from one address lock that user at that address for
# AXES_COOLOFF_TIME; GUANXI_LOGIN_ADDRESS_LIMIT from one address (any users)
# lock the address. The address is the connection's; X-Forwarded-For is read
# only from GUANXI_TRUSTED_PROXIES (addresses or networks, comma-separated).
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "guanxi.access.logins.PairAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "guanxi.access.logins.client_address"
GUANXI_LOGIN_ADDRESS_LIMIT = int(os.environ.get("GUANXI_LOGIN_ADDRESS_LIMIT", "50"))
GUANXI_TRUSTED_PROXIES = [
    p.strip()
    for p in os.environ.get("GUANXI_TRUSTED_PROXIES", "").split(",")
    if p.strip()
]
AXES_ENABLED = os.environ.get("GUANXI_AXES", "1") == "1"
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
