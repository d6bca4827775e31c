"""SLA clocks on business hours across a weekend, a public holiday, an
adjusted working day (调休) and the business's own closing day; and on
calendar hours. The moments are given, so no clock is read."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from guanxi.feedback.clock import BusinessCalendar, opening_parse

SH = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = opening_parse({str(d): ["09:00", "18:00"] for d in range(5)})


def _cal(**kw: object) -> BusinessCalendar:
    values: dict[str, object] = {"business": True, "zone": SH, "opening": NINE_TO_SIX}
    values.update(kw)
    return BusinessCalendar(**values)  # type: ignore[arg-type]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


def test_calendar_hours_just_add_up() -> None:
    cal = BusinessCalendar(business=False, zone=SH)
    assert cal.add_hours(at(2026, 11, 20, 17, 0), 24) == at(2026, 11, 21, 17, 0)
    assert cal.hours_between(at(2026, 11, 20, 17), at(2026, 11, 21, 17)) == 24


def test_business_hours_skip_the_weekend() -> None:
    # Friday 2026-11-20 16:00: 2 hours on Friday, 7 more on Monday → 16:00.
    cal = _cal()
    assert cal.add_hours(at(2026, 11, 20, 16, 0), 9) == at(2026, 11, 23, 16, 0)
    # 24 business hours from Friday 16:00: Fri 2, Mon 9, Tue 9, Wed 4 → 13:00.
    assert cal.add_hours(at(2026, 11, 20, 16, 0), 24) == at(2026, 11, 25, 13, 0)
    assert cal.hours_between(at(2026, 11, 20, 16), at(2026, 11, 23, 16)) == 9


def test_a_ticket_opened_at_night_starts_at_opening() -> None:
    cal = _cal()
    assert cal.add_hours(at(2026, 11, 23, 22, 30), 1) == at(2026, 11, 24, 10, 0)


def test_the_national_day_holiday_is_closed() -> None:
    # Wednesday 2026-09-30 17:00: 1 hour that day; 1-7 October are public
    # holidays, Thursday 8 October opens again (9:00 + 3 h = 12:00).
    cal = _cal()
    assert cal.add_hours(at(2026, 9, 30, 17, 0), 4) == at(2026, 10, 8, 12, 0)
    # Without the Chinese calendar 1 October is a plain Thursday.
    assert _cal(china=False).add_hours(at(2026, 9, 30, 17, 0), 4) == at(
        2026, 10, 1, 12, 0
    )


def test_an_adjusted_working_day_is_open() -> None:
    # Saturday 2026-10-10 is worked (调休) with Monday's hours: a ticket from
    # Friday 9 October 17:00 with 4 hours is due Saturday 12:00, not Monday.
    cal = _cal()
    assert cal.add_hours(at(2026, 10, 9, 17, 0), 4) == at(2026, 10, 10, 12, 0)
    assert _cal(china=False).add_hours(at(2026, 10, 9, 17, 0), 4) == at(
        2026, 10, 12, 12, 0
    )


def test_the_business_own_closing_day() -> None:
    cal = _cal(closing_days=frozenset({dt.date(2026, 11, 23)}))
    assert cal.add_hours(at(2026, 11, 20, 16, 0), 9) == at(2026, 11, 24, 16, 0)


def test_years_the_calendar_does_not_know_use_the_weekdays() -> None:
    # 2030 is beyond the package's data: Friday → Monday, no exception.
    cal = _cal()
    assert cal.add_hours(at(2030, 1, 4, 17, 0), 2) == at(2030, 1, 7, 10, 0)


def test_no_opening_hours_at_all_is_bounded() -> None:
    cal = _cal(opening={})
    start = at(2026, 11, 20, 9, 0)
    assert cal.add_hours(start, 1) == start + dt.timedelta(days=366)


def test_opening_parse_drops_bad_days() -> None:
    assert opening_parse(
        {"0": ["09:00", "18:00"], "1": ["18:00", "09:00"], "x": []}
    ) == {0: (dt.time(9), dt.time(18))}
