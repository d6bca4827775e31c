"""``guanxi analyze rfm|clv|churn|cohorts FILE …``: the analytics engine on a file
(``sentiment``: :mod:`guanxi.analytics.sentiment_cli`).

A thin layer: it parses the arguments, reads the file into checked
:class:`~guanxi.analytics.transactions.Transactions`, calls the subcommand's
report function (:mod:`guanxi.analytics.reports`,
:func:`~guanxi.analytics.churn_backtest.churn_report`) and prints the report.
Arguments are parsed before pandas, SciPy or scikit-learn are imported, so a
mistyped option is answered at once. Runs without Django.

Bad input (a missing file or column, unreadable dates, unknown option values)
prints one line ``error: …`` on stderr and returns 2; a user never sees a
traceback. Warnings (a deprecated option, customers left out of a model) go
to stderr in English and Chinese, progress too (a tqdm bar at a terminal);
results go to stdout (a readable summary, or one JSON object with ``--json``)
and, with ``--out``, to a CSV or Parquet file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from guanxi.analytics.dates import as_date
from guanxi.analytics.errors import AnalyticsInputError

__all__ = ["main"]

SUFFIXES = (".csv", ".parquet")


def N_(message: str) -> str:
    """Mark a message for the command line's catalog; translated where shown."""
    return message


HELPS = {
    "rfm": N_("RFM scores and segments"),
    "clv": N_("BG/NBD or Pareto/NBD with Gamma-Gamma: purchases, P(alive), CLV"),
    "churn": N_("Churn classifier against the BTYD and recency baselines"),
    "cohorts": N_("Monthly cohorts: retention, repurchase, revenue"),
}
#: Engine parameters named in messages, as the options a user typed.
OPTION_NAMES = {
    "observation_end": "--observation-end",
    "calibration_end": "--calibration-end",
    "test_cutoff": "--calibration-end",
    "date_format": "--date-format",
}
Translate = Callable[[str], str]
Step = Callable[[str], None]


class UsageError(Exception):
    """A problem with the command line or the file: shown as ``error: …``."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _parser(_: Translate = str) -> _Parser:
    """The parser, its help in the language of ``_`` (the terminal's)."""
    parser = _Parser(
        prog="guanxi analyze",
        description=_("Customer analytics on a file of transactions"),
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="rfm|clv|churn|cohorts|sentiment"
    )
    for name, text in HELPS.items():
        command = commands.add_parser(name, help=_(text), description=_(text))
        _input_options(command, _)
        if name == "clv":
            command.add_argument(
                "--calibration-end",
                metavar="DATE",
                help=_(
                    "End of the calibration period, YYYY-MM-DD; later purchases "
                    "are the holdout"
                ),
            )
        if name == "churn":
            command.add_argument(
                "--calibration-end",
                metavar="DATE",
                help=_(
                    "The test cut-off, YYYY-MM-DD (default: observation end minus "
                    "the horizon; training one horizon earlier)"
                ),
            )
        if name == "clv":
            _clv_options(command, _)
        if name == "churn":
            _horizon(
                command,
                "--horizon-days",
                90,
                _("days without a purchase that count as churn (default 90)"),
                _("deprecated: use --horizon-days (days)"),
            )
        _output_options(command, _, plots=name != "churn")
    # Its own options: `guanxi analyze sentiment --help`
    # (guanxi.analytics.sentiment_cli).
    commands.add_parser(
        "sentiment",
        help=_("Sentiment of a column of texts (Chinese and English)"),
        add_help=False,
    )
    return parser


def _input_options(command: argparse.ArgumentParser, _: Translate) -> None:
    command.add_argument("file", metavar="FILE", help=_("CSV or Parquet file"))
    command.add_argument(
        "--customer-col",
        required=True,
        metavar="C",
        help=_("Customer id column"),
    )
    command.add_argument(
        "--date-col",
        required=True,
        metavar="D",
        help=_("Purchase date column"),
    )
    command.add_argument("--amount-col", metavar="A", help=_("Purchase amount column"))
    command.add_argument(
        "--date-format",
        metavar="FMT",
        help=_("strftime format of the dates, e.g. %%Y%%m%%d"),
    )
    command.add_argument(
        "--observation-end",
        metavar="DATE",
        help=_(
            "End of the observation period, YYYY-MM-DD (default: last purchase day)"
        ),
    )


def _clv_options(command: argparse.ArgumentParser, _: Translate) -> None:
    command.add_argument(
        "--time-unit",
        choices=("D", "W"),
        default="D",
        help=_("Model time unit: days or weeks (default D)"),
    )
    command.add_argument(
        "--model",
        choices=("bgnbd", "pnbd"),
        default="bgnbd",
        help=_("Purchase model: BG/NBD or Pareto/NBD (default bgnbd)"),
    )
    _horizon(
        command,
        "--horizon-months",
        12,
        _("months of 30 days to predict and value (default 12)"),
        _("deprecated: use --horizon-months (months)"),
    )


def _horizon(
    command: argparse.ArgumentParser,
    option: str,
    default: int,
    text: str,
    deprecated: str,
) -> None:
    choice = command.add_mutually_exclusive_group()
    choice.add_argument(option, type=_positive_int, metavar="N", help=text)
    choice.add_argument(
        "--horizon",
        type=_positive_int,
        metavar="N",
        dest="old_horizon",
        help=deprecated,
    )
    command.set_defaults(horizon_option=option, horizon_default=default)


def _output_options(
    command: argparse.ArgumentParser, _: Translate, *, plots: bool
) -> None:
    command.add_argument(
        "--out",
        metavar="FILE.csv|.parquet",
        help=_("Write one row per customer (cohorts: per cohort and month)"),
    )
    if plots:
        command.add_argument("--plots", metavar="DIR", help=_("Write PNG charts here"))
    command.add_argument("--json", action="store_true", help=_("Print one JSON object"))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: '{text}'")
    return value


def main(argv: Sequence[str], *, gettext: Translate | None = None) -> int:
    """Run ``guanxi analyze …``; returns the exit code (2 for bad input).

    ``gettext`` translates the command line's own words (``error:``) and the
    help; the ``guanxi`` command passes its catalog for the terminal's language.
    """
    _ = gettext or str
    try:
        args = _parser(_).parse_args(list(argv))
    except UsageError as error:
        return _fail(str(error), _)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    _horizon_value(args)
    try:
        _check_arguments(args)
        return _run(args)
    except (UsageError, AnalyticsInputError) as error:
        return _fail(_as_options(str(error)), _)
    except KeyboardInterrupt:
        print(_("error: ") + "interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``… | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:  # a defect: still no traceback for the user
        print(
            _("error: ") + f"unexpected failure ({type(error).__name__}: {error}); "
            "please report it",
            file=sys.stderr,
        )
        return 1


def _fail(message: str, _: Translate) -> int:
    print(_("error: ") + message, file=sys.stderr)
    return 2


def _warn(english: str, chinese: str) -> None:
    print(f"warning: {english}\n警告：{chinese}", file=sys.stderr)


def _as_options(message: str) -> str:
    name, colon, rest = message.partition(":")
    return f"{OPTION_NAMES[name]}{colon}{rest}" if name in OPTION_NAMES else message


def _horizon_value(args: argparse.Namespace) -> None:
    """The horizon in the subcommand's unit, from the new option or the old one."""
    if not hasattr(args, "horizon_option"):
        return
    option = args.horizon_option
    value = getattr(args, option[2:].replace("-", "_"))
    if args.old_horizon is not None:
        unit = option.rsplit("-", 1)[1]
        _warn(
            f"--horizon is deprecated: use {option} (here {unit})",
            f"--horizon 已弃用，请改用 {option}（此处单位：{'月' if unit == 'months' else '天'}）",
        )
        value = args.old_horizon
    args.horizon = args.horizon_default if value is None else value


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse bad paths and dates before anything is loaded or written."""
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"file not found: {args.file}")
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(
            f"unsupported file type '{path.suffix}' (use .csv or .parquet)"
        )
    if args.out is not None:
        out = Path(args.out)
        if out.suffix.lower() not in SUFFIXES:
            raise UsageError(
                f"--out: unsupported file type '{out.suffix}' (use .csv or .parquet)"
            )
        if not out.parent.is_dir():
            raise UsageError(f"--out: folder does not exist: {out.parent}")
    plots = getattr(args, "plots", None)
    if plots is not None and Path(plots).exists() and not Path(plots).is_dir():
        raise UsageError(f"--plots: not a folder: {plots}")
    for option in ("observation_end", "calibration_end"):
        value = getattr(args, option, None)
        if value is not None:
            setattr(args, option, as_date(value, OPTION_NAMES[option]))


def _run(args: argparse.Namespace) -> int:
    with _steps(args.command) as step:
        transactions = _read(args, step)
        step(f"analysing ({args.command})")
        report = _report(args, transactions)
        for notice in report.warnings:
            _warn(notice.en, notice.zh)
        if args.out:
            step("writing")
            _write_table(report.table, args.out)
        if getattr(args, "plots", None):
            step("plotting")
            _plots(args, report, transactions)
    if args.json:
        print(json.dumps(_plain(report.to_dict()), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines()))
    return 0


def _report(args: argparse.Namespace, transactions: Any) -> Any:
    from guanxi.analytics import reports

    end = args.observation_end
    if args.command == "rfm":
        return reports.rfm_report(transactions, observation_end=end)
    if args.command == "cohorts":
        return reports.cohorts_report(transactions, observation_end=end)
    if args.command == "clv":
        return reports.clv_report(
            transactions,
            model=args.model,
            time_unit=args.time_unit,
            observation_end=end,
            calibration_end=args.calibration_end,
            horizon_months=args.horizon,
        )
    from guanxi.analytics.churn_backtest import churn_report

    return churn_report(
        transactions,
        horizon_days=args.horizon,
        observation_end=end,
        test_cutoff=args.calibration_end,
    )


@contextmanager
def _steps(command: str) -> Iterator[Step]:
    """Progress as a bar of named steps on stderr (shown at a terminal only)."""
    from tqdm import tqdm

    bar = tqdm(desc=f"analyze {command}", file=sys.stderr, disable=None, leave=False)

    def step(what: str) -> None:
        bar.set_postfix_str(what)
        bar.update(1)

    try:
        yield step
    finally:
        bar.close()


def _read(args: argparse.Namespace, step: Step) -> Any:
    """The file's transactions, checked; rows named by their line in a CSV."""
    import pandas as pd

    from guanxi.analytics.transactions import Transactions, csv_lines, numbered_rows

    path = Path(args.file)
    csv = path.suffix.lower() == ".csv"
    step(f"reading {path.name}")
    try:
        if csv:
            # Text as read: customer ids keep leading zeros; dates and amounts
            # are checked and converted with the line in any error.
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8-sig",
            )
        else:
            frame = pd.read_parquet(path)
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {args.file}: not UTF-8 text") from None
    except pd.errors.EmptyDataError:
        raise UsageError(f"cannot read {args.file}: the file is empty") from None
    except (pd.errors.ParserError, ValueError, OSError) as error:
        text = str(error).strip()
        first = text.splitlines()[0] if text else type(error).__name__
        raise UsageError(f"cannot read {args.file}: {first}") from None
    for column in (args.customer_col, args.date_col, args.amount_col):
        if column is not None and column not in frame.columns:
            found = ", ".join(str(c) for c in frame.columns)
            raise UsageError(f"column '{column}' is missing (the file has: {found})")
    if len(frame) == 0:
        raise UsageError(f"{args.file} has no rows")
    dates = frame[args.date_col]
    if args.date_format is None and pd.api.types.is_numeric_dtype(dates.dtype):
        raise UsageError(
            f"column '{args.date_col}' holds numbers, not dates: give --date-format "
            "(e.g. %Y%m%d)"
        )
    return Transactions.from_frame(
        frame,
        customer_col=args.customer_col,
        datetime_col=args.date_col,
        amount_col=args.amount_col,
        date_format=args.date_format,
        row_name=csv_lines(path) if csv else numbered_rows,
    )


def _write_table(table: Any, target: str) -> None:
    """Write CSV or Parquet whole or not at all (temporary file, then rename)."""
    path = Path(target)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        if path.suffix.lower() == ".csv":
            table.to_csv(temporary, index=False)
        else:
            table.to_parquet(temporary, index=False)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _plots(args: argparse.Namespace, report: Any, transactions: Any) -> None:
    from guanxi.analytics import plots

    folder = Path(args.plots)
    folder.mkdir(parents=True, exist_ok=True)
    if args.command == "rfm":
        plots.plot_rfm_grid(report.scores, folder / "rfm_segments.png")
    elif args.command == "cohorts":
        plots.plot_cohort_retention(report.rates, folder / "cohort_retention.png")
    else:
        summary = report.summary
        if summary.calibration_end is not None:
            plots.plot_cumulative_purchases(
                transactions,
                report.model,
                folder / "calibration_holdout.png",
                calibration_end=summary.calibration_end,
                observation_end=summary.observation_end,
                time_unit=summary.time_unit,
            )
        months = report.months * 30.0 / summary.days_per_unit
        plots.plot_expected_purchases_matrix(
            report.model, summary.frame, folder / "expected_purchases.png", t=months
        )
        plots.plot_probability_alive_matrix(
            report.model, summary.frame, folder / "probability_alive.png"
        )


def _plain(value: Any) -> Any:
    """JSON-ready values: numpy scalars to Python, NaN and infinities to null."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
