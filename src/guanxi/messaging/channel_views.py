"""The channels' settings page: admins set what the environment does not
(SMTP server, SMS provider keys, WeCom, the webhook). Secrets are write-only:
the page says whether one is set, never what it is. Everyone else gets a 404,
as if the page did not exist."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.access.policies import policy_for
from guanxi.core.errors import DomainError, NotFound
from guanxi.messaging.channel_settings import (
    CHANNEL_SETTINGS,
    channel_default,
    channel_setting,
    channel_setting_shown,
    channel_settings_stored,
    setting_from_environment,
)
from guanxi.messaging.choices import MessageChannel
from guanxi.messaging.models import ChannelSettingChange
from guanxi.messaging.senders import channel_setup_check
from guanxi.messaging.services import channel_settings_save, channel_test_email

View = Callable[..., HttpResponse]
CHANGES_SHOWN = 20


def admins_only(view: View) -> View:
    """Logged in, and a role that may administer (admins); others: 404."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not policy_for(request.user).may_administer:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _state(channel: str) -> tuple[str, str]:
    """(``ready`` | ``off`` | ``incomplete``, the message when incomplete)."""
    specs = CHANNEL_SETTINGS[channel]
    if not any(
        setting_from_environment(s.name) or s.name in channel_settings_stored()
        for s in specs
    ):
        return "off", ""
    try:
        channel_setup_check(channel)
    except DomainError as error:
        return "incomplete", error.message
    return "ready", ""


def _card(channel: str, stored: dict[str, str], **extra: Any) -> dict[str, Any]:
    fields = []
    for spec in CHANNEL_SETTINGS[channel]:
        from_env = bool(setting_from_environment(spec.name))
        value = channel_setting(spec.name)
        is_set = from_env or spec.name in stored
        fields.append(
            {
                "spec": spec,
                "from_env": from_env,
                "is_set": is_set,
                # Secrets never go back to the browser; plain values do.
                "value": channel_setting_shown(spec.name, value) if is_set else "",
                "input": "" if spec.secret else stored.get(spec.name, ""),
                "default": channel_default(spec.name),
            }
        )
    state, problem = _state(channel)
    return {
        "channel": channel,
        "label": MessageChannel(channel).label,
        "fields": fields,
        "state": state,
        "problem": problem,
        "error": "",
        **extra,
    }


def _page(request: HttpRequest, *, status: int = 200, **errors: str) -> HttpResponse:
    stored = channel_settings_stored()
    cards = [
        _card(channel, stored, error=errors.get(channel, ""))
        for channel in CHANNEL_SETTINGS
    ]
    changes = ChannelSettingChange.objects.select_related("changed_by")[:CHANGES_SHOWN]
    return render(
        request,
        "messaging/channels.html",
        {"cards": cards, "changes": changes},
        status=status,
    )


@admins_only
@require_http_methods(["GET", "POST"])
def channels(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    channel = request.POST.get("channel", "")
    specs = CHANNEL_SETTINGS.get(channel, ())
    values = {
        spec.name: request.POST[spec.name]
        for spec in specs
        if spec.name in request.POST and not setting_from_environment(spec.name)
    }
    clear = {
        spec.name
        for spec in specs
        if spec.secret and request.POST.get(f"clear-{spec.name}") == "1"
    }
    try:
        changed = channel_settings_save(
            actor=request.user, channel=channel, values=values, clear=clear
        )
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        return _page(request, status=400, **{channel: error.message})
    label = MessageChannel(channel).label
    if changed:
        messages.success(
            request,
            _("Saved the %(channel)s settings (%(names)s).")
            % {"channel": label, "names": ", ".join(changed)},
        )
    else:
        messages.info(
            request,
            _("Nothing changed in the %(channel)s settings.") % {"channel": label},
        )
    return redirect("messaging-channels:channels")


@admins_only
@require_POST
def test_email(request: HttpRequest) -> HttpResponse:
    """Send a test e-mail to the admin's own address."""
    try:
        said = channel_test_email(actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, said)
    return redirect("messaging-channels:channels")
