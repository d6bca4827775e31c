"""Team and account pages (mounted at the site's root): ``settings/team/``
for admins, ``account/`` for everyone, ``welcome/…`` for a one-time link."""

from __future__ import annotations

from django.urls import path

from guanxi.access import twofactor_views, views

app_name = "access"

urlpatterns = [
    path("settings/team/", views.team, name="team"),
    path("settings/team/new/", views.team_add, name="team-add"),
    path("settings/team/<int:pk>/", views.member, name="member"),
    path(
        "settings/team/<int:pk>/deactivate/",
        views.member_deactivate,
        name="member-deactivate",
    ),
    path(
        "settings/team/<int:pk>/reactivate/",
        views.member_reactivate,
        name="member-reactivate",
    ),
    path("settings/team/<int:pk>/link/", views.member_link, name="member-link"),
    path("settings/team/<int:pk>/unlock/", views.member_unlock, name="member-unlock"),
    path("account/", views.account, name="account"),
    path(
        "account/confirm-password/",
        views.confirm_password,
        name="confirm-password",
    ),
    path("account/password/", views.account_password, name="account-password"),
    path("account/language/", views.account_language, name="account-language"),
    path("account/token/", views.account_token, name="account-token"),
    path(
        "account/token/revoke/",
        views.account_token_revoke,
        name="account-token-revoke",
    ),
    # Two-step login (twofactor_views).
    path("login/code/", twofactor_views.login_code, name="login-code"),
    path("account/two-factor/", twofactor_views.two_factor, name="two-factor"),
    path(
        "account/two-factor/start/",
        twofactor_views.two_factor_start,
        name="two-factor-start",
    ),
    path(
        "account/two-factor/confirm/",
        twofactor_views.two_factor_confirm,
        name="two-factor-confirm",
    ),
    path(
        "account/two-factor/codes/",
        twofactor_views.two_factor_codes,
        name="two-factor-codes",
    ),
    path(
        "account/two-factor/off/", twofactor_views.two_factor_off, name="two-factor-off"
    ),
    path(
        "settings/team/<int:pk>/two-factor/reset/",
        twofactor_views.member_two_factor_reset,
        name="member-two-factor-reset",
    ),
    path("settings/team/login-rule/", twofactor_views.login_rule, name="login-rule"),
    path(
        "welcome/<str:uidb64>/<str:token>/",
        views.password_link,
        name="password-link",
    ),
]
