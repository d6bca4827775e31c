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
:func:`tasks_plan` gives the same placement as ranges of ranks (each
manager's k-th task, the k-th task by turn) for a daily evaluation to apply
in SQL, with no entry per task.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from guanxi.access.selectors import staff_turn_next
from guanxi.care.choices import TaskStatus
from guanxi.care.models import CareTask

__all__ = ["Placement", "Plan", "daily_cap", "tasks_place", "tasks_plan"]


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


def _team_and_turn() -> tuple[list[int], int]:
    """The service team in turn order, and whose turn is next (after the
    owner of the last task given by turn)."""
    last = (
        CareTask.objects.filter(round_robin=True)
        .order_by("-pk")
        .values_list("owner_id", flat=True)
        .first()
    )
    return staff_turn_next(last_owner_id=last)


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
    team, turn = _team_and_turn()
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


@dataclass(frozen=True)
class Plan:
    """Where new tasks go, as ranges of ranks. Each manager's tasks, ranked
    most urgent first from 0: ``days`` holds ``(manager, first rank, day)``,
    the tasks from that rank on being due that day (until the next entry).
    The tasks by turn, ranked the same way: ``turns`` holds ``(first rank,
    day, members)``, the rank ``r`` going to ``members[(r - first) %
    len(members)]``. No ``turns`` and ``team`` false: nobody takes them (due
    on the first day, no owner)."""

    days: list[tuple[int, int, dt.date]]
    turns: list[tuple[int, dt.date, tuple[int, ...]]]
    team: bool


def tasks_plan(
    *, due_on: dt.date, managed: dict[int, int], by_turn: int, cap: int | None = None
) -> Plan | None:
    """The placement :func:`tasks_place` makes, as a :class:`Plan`, for
    ``managed[manager]`` tasks of each manager and ``by_turn`` tasks for the
    team. None when a manager is also in the team (their own customers and
    their turns then share the days: placed one by one by
    :func:`tasks_place`)."""
    limit = daily_cap() if cap is None else max(0, cap)
    team, turn = _team_and_turn()
    if set(managed) & set(team):
        return None
    taken = _taken(set(managed) | set(team), due_on) if limit else Counter()
    days: list[tuple[int, int, dt.date]] = []
    one_day = dt.timedelta(days=1)
    for manager in sorted(managed):
        rank, day = 0, due_on
        while rank < managed[manager]:
            free = limit - taken[(manager, day)] if limit else managed[manager]
            if free > 0:
                days.append((manager, rank, day))
                rank += free
            day += one_day
    turns: list[tuple[int, dt.date, tuple[int, ...]]] = []
    rank, day = 0, due_on
    while team and rank < by_turn:
        members = tuple(team[turn:] + team[:turn])
        if not limit:
            turns.append((rank, day, members))
            break
        room_of = [max(0, limit - taken[(m, day)]) for m in members]
        # Round j of the day gives one task to each member with more than j
        # free, in turn order; rounds with the same members are one range.
        done = 0
        last = members[0]
        for level in sorted({f for f in room_of if f > 0}):
            those = tuple(
                m for m, f in zip(members, room_of, strict=True) if f >= level
            )
            turns.append((rank, day, those))
            count = (level - done) * len(those)
            if rank + count >= by_turn:
                last = those[(by_turn - rank - 1) % len(those)]
                rank = by_turn
                break
            rank += count
            done = level
            last = those[-1]
        turn = (team.index(last) + 1) % len(team) if any(room_of) else turn
        day += one_day
    return Plan(days, turns, bool(team))
