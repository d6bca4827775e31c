"""The column-at-a-time reading of a batch gives what reading row by row gives."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from guanxi.core.bulk import utc_text
from guanxi.core.errors import ValidationFailed
from guanxi.ingest.batches import UtcMoments, parse_batch
from guanxi.ingest.matching import CUSTOMER_COLUMNS
from guanxi.ingest.parsing import CellParser
from guanxi.ingest.presets import BUILTIN_PRESETS
from guanxi.ingest.report import ImportReport
from guanxi.ingest.rows import RowParser
from guanxi.ingest.services import resolve_mapping

HEADERS = ["订单号", "下单时间", "金额", "状态", "手机号", "phone", "邮箱", "姓名"]
ROWS: list[list[Any]] = [
    [
        "A1",
        "2024-01-05 14:30:00",
        "¥1,234.50",
        "已付款",
        "13800138000",
        "",
        "a@example.com",
        "张伟",
    ],
    ["A2", "2024/1/5 9:05", "12", "refunded", "", "138 0013 8001", "", "王芳"],
    ["", "yesterday", "-3", "lost", "12345", "", "not-an-email", ""],
    [
        "A3",
        "2024-02-30 10:00:00",
        "about 5",
        "已付款",
        "13800138000",
        "13900139000",
        "",
        " ",
    ],
    ["A" * 129, "", "", "", "", "", "", ""],
    ["A4", "2024-01-05 14:30:00"],
    [
        "A5",
        "2024-01-05T23:59:59",
        "0.005",
        "paid",
        "+86 138-0013-8002",
        "",
        "B@Example.COM",
        "李 娜",
    ],
    [
        "A1",
        "2024-01-05 14:30:00",
        "¥1,234.50",
        "已付款",
        "13800138000",
        "",
        "a@example.com",
        "张伟",
    ],
]


def _reader(report: ImportReport) -> tuple[RowParser, Any]:
    preset = BUILTIN_PRESETS[("generic", "orders")]
    columns = resolve_mapping(
        kind="orders",
        headers=HEADERS,
        preset=preset,
        mapping={"customer_phone": ["手机号", "phone"]},
    )
    parser = CellParser(
        tz=zoneinfo.ZoneInfo("Asia/Shanghai"), status_values=preset.status_values
    )
    reader = RowParser(columns=columns, parser=parser, report=report)
    names = ("order_id", "ordered_at", "amount", "status", *CUSTOMER_COLUMNS)
    return reader, reader.plan(names)


def test_columns_give_the_values_and_messages_of_rows() -> None:
    by_rows, by_columns = ImportReport(kind="orders"), ImportReport(kind="orders")
    row_reader, plan = _reader(by_rows)
    column_reader, _plan = _reader(by_columns)
    lines = list(range(2, 2 + len(ROWS)))
    expected = [
        row_reader.read(line, cells, plan)[0]
        for line, cells in zip(lines, ROWS, strict=True)
    ]
    batch = parse_batch(column_reader, lines, ROWS, plan)
    got = [
        batch.row_values(i, tuple(name for name, _p, _s in plan))
        for i in range(len(ROWS))
    ]
    assert got == expected
    assert [e.as_dict() for e in batch.errors] == [e.as_dict() for e in by_rows.errors]
    # the file has errors of several kinds in several rows, in row order
    assert len({e.line for e in by_rows.errors}) >= 3
    # rows with a cell that did not parse (0.005 has three decimal places: it
    # was rounded to 0.01 once, it is refused now, as the API refuses it)
    assert batch.bad == {2, 3, 4, 6}
    assert batch.blank("order_id", 2) and not batch.blank("order_id", 4)


def _by_parser(parser: CellParser, cell: Any) -> Any:
    try:
        return utc_text(parser.moment(cell))
    except ValidationFailed as exc:
        return f"error: {exc.message}"


def _by_column(moments: UtcMoments, parser: CellParser, cells: list[Any]) -> list[Any]:
    def parse(cell: Any) -> Any:
        return parser.moment(cell)

    values, _failed = moments(parse, cells)
    out = []
    for value in values:
        if value.__class__.__name__ == "_Failure":
            out.append(f"error: {value.message}")
        else:
            out.append(value)
    return out


@pytest.mark.parametrize(
    "zone",
    ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"],
)
def test_utc_moments_agree_with_the_cell_parser(zone: str) -> None:
    tz = zoneinfo.ZoneInfo(zone)
    parser = CellParser(tz=tz, status_values={})
    cells: list[Any] = []
    # every half hour across both 2024 DST changes of New York and Lord Howe
    for start in (
        dt.datetime(2024, 3, 9),
        dt.datetime(2024, 4, 6),
        dt.datetime(2024, 10, 5),
        dt.datetime(2024, 11, 2),
    ):
        for step in range(0, 2 * 24 * 4):
            moment = start + dt.timedelta(minutes=15 * step, seconds=step % 60)
            cells.append(moment.strftime("%Y-%m-%d %H:%M:%S"))
    cells += [
        "2024-01-05T14:30:00",
        " 2024-01-05 14:30:00 ",
        "2024-02-30 10:00:00",
        "2024-01-05 24:00:00",
        "2024-01-05 14:60:00",
        "2024-01-05 14:30:60",
        "2024/01/05 14:30:00",
        "2024-1-5 9:05",
        "2024年1月5日 14:30",
        "２０２４-０１-０５ １４:３０:００",
        "soon",
        dt.datetime(2024, 1, 5, 14, 30),
        45296.5,
        # the accepted window: 1970-01-01 UTC to a day after now
        "9999-12-31 23:59:59",
        "9999-12-31 23:00:00",
        "0001-01-01 00:00:00",
        "1969-12-31 23:59:59",
        "1970-01-01 00:00:00",
        "1970-01-01 08:00:00",
        "1970-01-01 07:59:59",
    ]
    latest = parser.now.astimezone(tz) + dt.timedelta(days=1)
    for seconds in (-3600, -1, 0, 1, 3600):
        cells.append(
            (latest + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
        )
    moments = UtcMoments(tz, now=parser.now)
    assert _by_column(moments, parser, cells) == [_by_parser(parser, c) for c in cells]
