"""Who gets a new care task and on which day: the per-person daily cap with
spill-over.

Each person gets at most ``GUANXI_CARE_DAILY_CAP`` care tasks due on one day
(counting the tasks already due that day, open or done; 0: no cap). New tasks
are placed most urgent first:

- a customer's **account manager** keeps their customer: a task over the cap
  moves to the manager's next day with room (its due date later);
- a customer **without a manager** goes to the service team in turn
  (round-robin, going on where the last task stopped); a member whose day is
  full is skipped, and when the whole team is full that day the task moves to
  the next day, still in turn.

Set-based: one grouped query reads the days already taken, the placement runs
in memory, and the caller writes the tasks in bulk in the order returned.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from guanxi.access.selectors import staff_round_robin
from guanxi.care.choices import TaskStatus
from guanxi.care.models import CareTask

__all__ = ["Placement", "daily_cap", "tasks_place"]


@dataclass(frozen=True)
class Placement:
    """One new task placed: the index of the request, its owner (``None``
    when nobody can take it), its due day and whether it came by turn."""

    index: int
    owner_id: int | None
    due_on: dt.date
    round_robin: bool


def daily_cap() -> int:
    """At most this many tasks due per person and day (0: no cap)."""
    return max(0, int(settings.GUANXI_CARE_DAILY_CAP))


def _taken(owners: set[int], first: dt.date) -> Counter[tuple[int, dt.date]]:
    """Tasks already due per (owner, day) from ``first`` on (not the ones made
    obsolete by the customer coming back)."""
    taken: Counter[tuple[int, dt.date]] = Counter()
    if not owners:
        return taken
    rows = (
        CareTask.objects.filter(owner_id__in=sorted(owners), due_on__gte=first)
        .exclude(status=TaskStatus.OBSOLETE)
        .values("owner_id", "due_on")
        .annotate(n=Count("id"))
        .values_list("owner_id", "due_on", "n")
        .order_by()
    )
    for owner_id, due_on, n in rows:
        taken[(owner_id, due_on)] = n
    return taken


def tasks_place(
    *,
    due_on: dt.date,
    managers: Sequence[int | None],
    priorities: Sequence[int],
    cap: int | None = None,
) -> list[Placement]:
    """Place new tasks, one per entry of ``managers`` (the customer's account
    manager or ``None``) with its ``priorities`` value (1 most urgent), due on
    ``due_on`` or later. The placements, most urgent first (the order to
    write them in, so the next round-robin goes on after the last one)."""
    limit = daily_cap() if cap is None else max(0, cap)
    team = staff_round_robin()
    last = (
        CareTask.objects.filter(round_robin=True)
        .order_by("-pk")
        .values_list("owner_id", flat=True)
        .first()
    )
    turn = (team.index(last) + 1) % len(team) if last in team else 0
    owners = {m for m in managers if m is not None} | set(team)
    taken = _taken(owners, due_on) if limit else Counter()
    order = sorted(range(len(managers)), key=lambda i: (priorities[i], i))
    # The first day each person may still have room (a full day stays full).
    free_from: dict[int, dt.date] = {}
    team_from = due_on
    placed: list[Placement] = []
    one_day = dt.timedelta(days=1)

    def room(owner: int, day: dt.date) -> bool:
        return not limit or taken[(owner, day)] < limit

    for index in order:
        manager = managers[index]
        if manager is not None:
            day = free_from.get(manager, due_on)
            while not room(manager, day):
                day += one_day
            free_from[manager] = day
            taken[(manager, day)] += 1
            placed.append(Placement(index, manager, day, False))
            continue
        if not team:
            placed.append(Placement(index, None, due_on, False))
            continue
        # The next member in turn mostly has room: checked first, without
        # the search (a million tasks at a time).
        found = 0 if room(team[turn], team_from) else None
        while found is None:
            found = next(
                (
                    step
                    for step in range(len(team))
                    if room(team[(turn + step) % len(team)], team_from)
                ),
                None,
            )
            if found is None:
                team_from += one_day
        owner = team[(turn + found) % len(team)]
        turn = (turn + found + 1) % len(team)
        taken[(owner, team_from)] += 1
        placed.append(Placement(index, owner, team_from, True))
    return placed
