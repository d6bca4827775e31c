"""Hostile files through ``guanxi import`` and the import wizard: each is refused
with a message that says what is wrong, the command exits non-zero, the wizard
answers 4xx, nothing is written, and a decompression bomb is refused before it
is unpacked (the process's peak memory stays far below what unpacking needs).

The committed corpus is in ``tests/data/hostile/`` (see its README); files too
large to commit are made here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.ingest.models import ImportJob

CORPUS = Path(__file__).resolve().parents[4] / "tests" / "data" / "hostile"
MB = 1 << 20
NOT_A_WORKBOOK = "cannot read the file as an Excel workbook (.xlsx)"
BOMB_MESSAGE = re.compile(
    r"the workbook unpacks to \d{3} times its size \(at most 200\): it looks like "
    r"a decompression bomb and is not read"
)

# (file, line, message) — what the command and the wizard must say.
REFUSED_ON_OPENING = [
    ("truncated.xlsx", 1, NOT_A_WORKBOOK),
    ("not-a-workbook.xlsx", 1, NOT_A_WORKBOOK),
    ("damaged-sheet.xlsx", 1, NOT_A_WORKBOOK),
    ("entity-expansion.xlsx", 1, NOT_A_WORKBOOK),
    (
        "far-column.xlsx",
        1,
        "18,278 columns; at most 500 are accepted (an admin can raise this with "
        "GUANXI_IMPORT_MAX_COLUMNS)",
    ),
    (
        "utf8-line-in-gbk.csv",
        4,
        "the file mixes encodings: this line is UTF-8 but line 2 is GBK/GB18030; "
        "save the whole file in one encoding (UTF-8 is best) and import it again",
    ),
    (
        "gbk-line-in-utf8.csv",
        2,
        "the file mixes encodings: this line is UTF-8 but line 3 is GBK/GB18030; "
        "save the whole file in one encoding (UTF-8 is best) and import it again",
    ),
    (
        "nul-bytes.csv",
        3,
        "a NUL character: this is not a text file (save it from the spreadsheet "
        "as CSV or XLSX)",
    ),
]
TOO_MANY_ROWS = (
    "the file has more than 2,000,000 rows (the limit; an admin can raise it with "
    "GUANXI_IMPORT_MAX_ROWS)"
)


def _rss_peak_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]


def _rss_now_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]


def _reset_rss_peak() -> None:
    """Linux: set this process's peak RSS back to its current RSS."""
    Path("/proc/self/clear_refs").write_text("5")


_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
    'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
    'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
    'name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
    b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
)


def _workbook(path: Path, rows: Callable[[Any], object], *, extra: int = 0) -> Path:
    """A minimal workbook whose sheet body ``rows(write)`` streams out."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for i in range(extra):
            z.writestr(f"xl/media/part{i}.xml", "<a/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            rows(sheet.write)
            sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture(scope="session")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 MB workbook whose sheet unpacks to 1 GiB of rows."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    chunk = row * (MB // len(row))

    def rows(write: Callable[[bytes], Any]) -> None:
        for _ in range(1024 * MB // len(chunk)):
            write(chunk)

    path = _workbook(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", rows)
    assert path.stat().st_size < 5 * MB
    return path


@pytest.fixture
def importer(client: Any, make_user: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "uploads")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(make_user(Role.OPERATIONS))
    return client


def _upload(client: Any, path: Path, kind: str = "customers") -> Any:
    return client.post(
        reverse("ingest:upload"),
        {
            "kind": kind,
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile(path.name, path.read_bytes()),
        },
    )


def _uploads_left(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _refused_by_command(run_import: Any, path: Path) -> list[dict[str, Any]]:
    result = run_import("customers", path, "--json")
    assert result.code == 1
    # Refused as a whole: no count of rows (there was no row-by-row reading).
    assert result.stderr.splitlines()[-1] == (
        "CommandError: the file was refused, nothing was written"
    )
    errors: list[dict[str, Any]] = result.json["errors"]
    return errors


@pytest.mark.parametrize(("name", "line", "message"), REFUSED_ON_OPENING)
def test_hostile_file_is_refused_by_the_command(
    name: str, line: int, message: str, run_import: Any, counts: Any
) -> None:
    before = counts()
    errors = _refused_by_command(run_import, CORPUS / name)
    assert errors == [{"line": line, "column": "", "value": "", "message": message}]
    assert counts() == before


@pytest.mark.parametrize(("name", "line", "message"), REFUSED_ON_OPENING)
def test_hostile_file_is_refused_by_the_wizard(
    name: str, line: int, message: str, importer: Any, counts: Any, settings: Any
) -> None:
    before = counts()
    response = _upload(importer, CORPUS / name)
    assert response.status_code == 400
    assert [(e.line, e.message) for e in response.context["problems"]] == [
        (line, message)
    ]
    assert ImportJob.objects.count() == 0
    assert _uploads_left(settings) == []
    assert counts() == before


def test_a_row_numbered_far_beyond_the_limit_stops_at_the_limit(
    run_import: Any, counts: Any, importer: Any
) -> None:
    before = counts()
    path = CORPUS / "far-row.xlsx"
    errors = _refused_by_command(run_import, path)
    assert errors == [
        {"line": 2_000_002, "column": "", "value": "", "message": TOO_MANY_ROWS}
    ]
    # The wizard reads the header at upload; the rows are refused at the preview.
    uploaded = _upload(importer, path)
    assert uploaded.status_code == 302
    job = ImportJob.objects.get()
    preview = importer.get(reverse("ingest:job-preview", args=[job.pk]))
    assert [(e.line, e.message) for e in preview.context["errors"]] == [
        (2_000_002, TOO_MANY_ROWS)
    ]
    assert counts() == before


def test_byte_order_marks_inside_a_file_are_dropped(
    run_import: Any, counts: Any
) -> None:
    from guanxi.customers.models import Customer

    result = run_import("customers", CORPUS / "inner-bom.csv")
    assert result.code == 0, result.stderr
    assert sorted(c.name for c in Customer.objects.all()) == ["张三", "李四"]


def test_decompression_bomb_is_refused_by_the_command_without_unpacking(
    bomb: Path, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "GUANXI_DATA_DIR": str(tmp_path / "data"),
        "LANGUAGE": "en",
        "LANG": "C.UTF-8",
    }
    out, err, measured = (tmp_path / n for n in ("stdout", "stderr", "usage"))
    # The command is started by a small launcher that reports its peak memory
    # (wait4): a child forked straight from this test process would count the
    # test process's own memory, which it holds until it starts the command.
    launcher = (
        "import json, os, subprocess, sys\n"
        "proc = subprocess.Popen(sys.argv[2:])\n"
        "_pid, status, usage = os.wait4(proc.pid, 0)\n"
        "with open(sys.argv[1], 'w') as out:\n"
        "    json.dump([os.waitstatus_to_exitcode(status), usage.ru_maxrss], out)\n"
    )
    command = [sys.executable, "-m", "guanxi.cli", "import", "customers", str(bomb)]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        subprocess.run(
            [sys.executable, "-c", launcher, str(measured), *command],
            stdout=stdout,
            stderr=stderr,
            env=env,
            timeout=300,
            check=False,
        )
    code, peak_kb = json.loads(measured.read_text())
    message = err.read_text()
    assert code == 1, message
    assert BOMB_MESSAGE.search(message), message
    assert "Traceback" not in message
    assert out.read_text() == ""
    assert peak_kb / 1024 < 500, f"the import command peaked at {peak_kb / 1024:.0f} MB"


def test_decompression_bomb_is_refused_by_the_wizard_in_bounded_memory(
    bomb: Path, importer: Any, counts: Any, settings: Any
) -> None:
    before = counts()
    _reset_rss_peak()
    start = _rss_now_kb()
    response = _upload(importer, bomb)
    grew_mb = (_rss_peak_kb() - start) / 1024
    assert response.status_code == 400
    assert [e.line for e in response.context["problems"]] == [1]
    assert BOMB_MESSAGE.fullmatch(response.context["problems"][0].message)
    # Unpacking it would take more than 1 GB; reading the upload takes a few MB.
    assert grew_mb < 100, f"the upload grew the process by {grew_mb:.0f} MB"
    assert ImportJob.objects.count() == 0
    assert _uploads_left(settings) == []
    assert counts() == before


def _only_error(run_import: Any, path: Path) -> tuple[int, str]:
    errors = _refused_by_command(run_import, path)
    assert len(errors) == 1
    return errors[0]["line"], errors[0]["message"]


def test_a_workbook_of_too_many_parts_is_refused(
    run_import: Any, counts: Any, tmp_path: Path
) -> None:
    before = counts()
    path = _workbook(tmp_path / "parts.xlsx", lambda write: None, extra=1_000)
    assert _only_error(run_import, path) == (
        1,
        "the workbook holds 1,005 parts; at most 1,000 are accepted",
    )
    assert counts() == before


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused(
    run_import: Any, counts: Any, tmp_path: Path, settings: Any
) -> None:
    settings.GUANXI_IMPORT_LIMITS = {"max_unpacked_bytes": 1 * MB}
    row = b'<row><c t="inlineStr"><is><t>%d</t></is></c></row>'
    path = _workbook(
        tmp_path / "big.xlsx",
        lambda write: [write(row % i) for i in range(2, 60_000)],
    )
    before = counts()
    assert _only_error(run_import, path) == (
        1,
        "the workbook unpacks to 3 MB; at most 1 MB are accepted (an admin can "
        "raise this with GUANXI_IMPORT_MAX_UNPACKED_MB)",
    )
    assert counts() == before


def test_a_line_of_megabytes_is_refused_without_reading_it_whole(
    run_import: Any, counts: Any, tmp_path: Path
) -> None:
    path = tmp_path / "long-line.csv"
    path.write_bytes(b"name,phone\n" + b"x" * (3 * MB))
    before = counts()
    assert _only_error(run_import, path) == (
        2,
        "the line is longer than 1,000,000 characters (the limit; an admin can "
        "raise it with GUANXI_IMPORT_MAX_LINE)",
    )
    assert counts() == before


def test_too_many_columns_in_a_csv_are_refused(
    run_import: Any, counts: Any, tmp_path: Path
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("name,phone\n张三,13800138000" + ",x" * 600 + "\n")
    before = counts()
    assert _only_error(run_import, path) == (
        2,
        "602 columns; at most 500 are accepted (an admin can raise this with "
        "GUANXI_IMPORT_MAX_COLUMNS)",
    )
    assert counts() == before


def test_rows_beyond_a_lowered_limit_are_refused_and_the_limit_can_be_raised(
    run_import: Any, counts: Any, tmp_path: Path, settings: Any
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "name,phone\n" + "".join(f"客户{i},1380000{i:04d}\n" for i in range(150))
    )
    settings.GUANXI_IMPORT_LIMITS = {"max_rows": 100}
    before = counts()
    assert _only_error(run_import, path) == (
        102,
        "the file has more than 100 rows (the limit; an admin can raise it with "
        "GUANXI_IMPORT_MAX_ROWS)",
    )
    assert counts() == before
    settings.GUANXI_IMPORT_LIMITS = {"max_rows": 150}
    assert run_import("customers", path).code == 0
    assert counts()["Customer"] == before["Customer"] + 150


def test_a_cell_longer_than_excel_allows_is_refused(
    run_import: Any, counts: Any, tmp_path: Path
) -> None:
    long = b"x" * 40_000
    path = _workbook(
        tmp_path / "long-cell.xlsx",
        lambda write: write(
            b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
            + long
            + b"</t></is></c></row>"
        ),
    )
    before = counts()
    assert _only_error(run_import, path) == (
        2,
        "a cell is longer than 32,767 characters (the limit; an admin can raise it "
        "with GUANXI_IMPORT_MAX_CELL)",
    )
    assert counts() == before


def test_an_upload_over_the_size_limit_is_dropped_as_it_arrives(
    importer: Any, settings: Any, counts: Any
) -> None:
    settings.GUANXI_IMPORT_LIMITS = {"max_upload_bytes": 1 * MB}
    before = counts()
    response = importer.post(
        reverse("ingest:upload"),
        {
            "kind": "customers",
            "preset": "generic",
            "source": "",
            "file": SimpleUploadedFile(
                "big.csv", b"name,phone\n" + b"x,13800138000\n" * 200_000
            ),
        },
    )
    assert response.status_code == 413
    assert response.context["form"].errors["file"] == [
        "the file is larger than 1 MB (the limit; an admin can raise it with "
        "GUANXI_IMPORT_MAX_UPLOAD_MB)"
    ]
    assert ImportJob.objects.count() == 0
    assert _uploads_left(settings) == []
    assert counts() == before
