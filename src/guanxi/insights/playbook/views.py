"""The playbook editor: admins list, add, change and remove rows of
stage × quadrant → next action. Everyone else gets a 404, as if it did not
exist."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.access.policies import policy_for
from guanxi.insights.choices import Quadrant, Stage
from guanxi.insights.models import PlaybookAction
from guanxi.insights.playbook.forms import PlaybookActionForm
from guanxi.insights.playbook.lookup import playbook_choose
from guanxi.insights.playbook.services import (
    playbook_action_delete,
    playbook_action_save,
)
from guanxi.insights.playbook.text import action_title

View = Callable[..., HttpResponse]


def editors_only(view: View) -> View:
    """Logged in, and a role that may administer (admins)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not policy_for(request.user).may_administer:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _grid(rows: list[PlaybookAction]) -> list[dict[str, Any]]:
    """For each stage, the action each quadrant's customers get: the table as
    the lookup reads it."""
    grid = []
    for stage in Stage:
        cells = []
        for quadrant in Quadrant:
            choice = playbook_choose(rows, stage=stage.value, quadrant=quadrant.value)
            cells.append(action_title(choice.action) if choice is not None else None)
        grid.append({"stage": stage.label, "cells": cells})
    return grid


@editors_only
def playbook_list(request: HttpRequest) -> HttpResponse:
    rows = list(PlaybookAction.objects.select_related("updated_by"))
    return render(
        request,
        "insights/playbook_list.html",
        {
            "rows": [{"action": row, "title": action_title(row)} for row in rows],
            "grid": _grid(rows),
            "quadrants": [q.label for q in Quadrant],
        },
    )


def _edit(request: HttpRequest, action: PlaybookAction) -> HttpResponse:
    form = PlaybookActionForm(request.POST or None, instance=action)
    if request.method == "POST" and form.is_valid():
        try:
            saved = playbook_action_save(action=form.instance, actor=request.user)
        except ValidationError as exc:  # a concurrent editor took the cell
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Saved the action “%(title)s”.") % {"title": action_title(saved)},
            )
            return redirect("playbook:list")
    return render(
        request,
        "insights/playbook_form.html",
        {"form": form, "action": action if action.pk else None},
        status=400 if form.errors else 200,
    )


@editors_only
def playbook_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, PlaybookAction())


@editors_only
def playbook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(PlaybookAction, pk=pk))


@editors_only
@require_POST
def playbook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(PlaybookAction, pk=pk)
    title = action_title(action)
    playbook_action_delete(action=action, actor=request.user)
    messages.success(request, _("Removed the action “%(title)s”.") % {"title": title})
    return redirect("playbook:list")
