"""``guanxi analyze rfm|clv|churn|cohorts FILE …``: the analytics engine on a file.

Runs without Django. Bad input (a missing file or column, unreadable dates,
unknown option values) prints one line ``error: …`` on stderr and returns 2;
a user never sees a traceback. Progress goes to stderr (a tqdm bar at a
terminal), results to stdout (a readable summary, or one JSON object with
``--json``) and, with ``--out``, to a CSV or Parquet file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TextIO

import numpy as np
import pandas as pd
from tqdm import tqdm

from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.summary import _checked_columns

__all__ = ["main"]

#: Days in one CLV period (a month), as in ``lifetimes``.
DAYS_PER_PERIOD = 30.0
SUFFIXES = (".csv", ".parquet")


class UsageError(Exception):
    """A problem with the command line or the file: shown as ``error: …``."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _parser() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "file", metavar="FILE", help="CSV or Parquet file / CSV 或 Parquet 文件"
    )
    common.add_argument(
        "--customer-col",
        required=True,
        metavar="C",
        help="Customer id column / 客户编号列",
    )
    common.add_argument(
        "--date-col",
        required=True,
        metavar="D",
        help="Purchase date column / 购买日期列",
    )
    common.add_argument(
        "--amount-col", metavar="A", help="Purchase amount column / 购买金额列"
    )
    common.add_argument(
        "--date-format",
        metavar="FMT",
        help="strftime format of the dates, e.g. %%Y%%m%%d / 日期格式，例如 %%Y%%m%%d",
    )
    common.add_argument(
        "--observation-end",
        metavar="DATE",
        help="End of the observation period, YYYY-MM-DD (default: last purchase day) / "
        "观察期结束日期（默认：最后购买日）",
    )
    common.add_argument(
        "--calibration-end",
        metavar="DATE",
        help="End of the calibration period, YYYY-MM-DD; later purchases are the holdout / "
        "校准期结束日期，之后的购买为验证期",
    )
    common.add_argument(
        "--time-unit",
        choices=("D", "W"),
        default="D",
        help="Model time unit: days or weeks (default D) / 模型时间单位：天或周",
    )
    common.add_argument(
        "--model",
        choices=("bgnbd", "pnbd"),
        default="bgnbd",
        help="Purchase model: BG/NBD or Pareto/NBD (default bgnbd) / 购买模型",
    )
    common.add_argument(
        "--horizon",
        type=_positive_int,
        default=None,
        metavar="N",
        help="clv: months to predict and value (default 12); churn: days without a "
        "purchase that count as churn (default 90) / clv：预测月数；churn：流失判定天数",
    )
    common.add_argument(
        "--out",
        metavar="FILE.csv|.parquet",
        help="Write one row per customer (cohorts: per cohort and month) / "
        "按客户逐行写出结果",
    )
    common.add_argument(
        "--plots", metavar="DIR", help="Write PNG charts here / 图表输出目录"
    )
    common.add_argument(
        "--json", action="store_true", help="Print one JSON object / 输出 JSON"
    )
    parser = _Parser(
        prog="guanxi analyze",
        description="Customer analytics on a file of transactions / 基于交易文件的客户分析",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="rfm|clv|churn|cohorts"
    )
    helps = {
        "rfm": "RFM scores and segments / RFM 评分与客户分群",
        "clv": "BG/NBD or Pareto/NBD with Gamma-Gamma: purchases, P(alive), CLV / "
        "客户终身价值",
        "churn": "Churn classifier with the BG/NBD baseline / 流失预测",
        "cohorts": "Monthly cohorts: retention, repurchase, revenue / 同期群留存分析",
    }
    for name, text in helps.items():
        commands.add_parser(name, parents=[common], help=text, description=text)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: '{text}'")
    return value


def main(argv: list[str]) -> int:
    """Run ``guanxi analyze …``; returns the exit code (2 for bad input)."""
    try:
        args = _parser().parse_args(argv)
    except UsageError as error:
        return _fail(str(error))
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    try:
        _check_outputs(args)
        with _steps(args.command) as step:
            frame = _read(args, step)
            return COMMANDS[args.command](args, frame, step)
    except (UsageError, AnalyticsInputError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``… | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:  # a defect: still no traceback for the user
        print(
            f"error: unexpected failure ({type(error).__name__}: {error}); "
            "please report it",
            file=sys.stderr,
        )
        return 1


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


Step = Callable[[str], None]


@contextmanager
def _steps(command: str) -> Iterator[Step]:
    """Progress as a bar of named steps on stderr (shown at a terminal only)."""
    bar = tqdm(desc=f"analyze {command}", file=sys.stderr, disable=None, leave=False)

    def step(what: str) -> None:
        bar.set_postfix_str(what)
        bar.update(1)

    try:
        yield step
    finally:
        bar.close()


# -- input --------------------------------------------------------------------


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse bad output paths before any work is done."""
    if args.out is not None:
        out = Path(args.out)
        if out.suffix.lower() not in SUFFIXES:
            raise UsageError(
                f"--out: unsupported file type '{out.suffix}' (use .csv or .parquet)"
            )
        if not out.parent.is_dir():
            raise UsageError(f"--out: folder does not exist: {out.parent}")
    plots = None if args.plots is None else Path(args.plots)
    if plots is not None and plots.exists() and not plots.is_dir():
        raise UsageError(f"--plots: not a folder: {args.plots}")
    if args.command in ("rfm", "cohorts") and args.calibration_end is not None:
        raise UsageError(f"--calibration-end does not apply to {args.command}")


def _read(args: argparse.Namespace, step: Step) -> pd.DataFrame:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"file not found: {args.file}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            f"unsupported file type '{path.suffix}' (use .csv or .parquet)"
        )
    step(f"reading {path.name}")
    try:
        if suffix == ".csv":
            # Text as read: customer ids keep leading zeros, amounts and dates
            # are checked and converted below with row numbers in the errors.
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
        first = (
            str(error).strip().splitlines()[0]
            if str(error).strip()
            else type(error).__name__
        )
        raise UsageError(f"cannot read {args.file}: {first}") from None
    columns = [args.customer_col, args.date_col] + (
        [args.amount_col] if args.amount_col else []
    )
    for column in columns:
        if column not in frame.columns:
            found = ", ".join(str(c) for c in frame.columns)
            raise UsageError(f"column '{column}' is missing (the file has: {found})")
    if len(frame) == 0:
        raise UsageError(f"{args.file} has no rows")
    frame = frame[columns].copy()
    frame[args.date_col] = _dates(frame[args.date_col], args.date_col, args.date_format)
    # The BTYD summary's own checks (missing ids, amounts that are missing or
    # negative), so every subcommand rejects a file with the same message;
    # afterwards every analysis gets clean columns: ids, days, numbers.
    customers, days, amounts = _checked_columns(
        frame,
        customer_col=args.customer_col,
        datetime_col=args.date_col,
        amount_col=args.amount_col,
        end=np.iinfo(np.int64).max,
    )
    clean = pd.DataFrame(
        {
            args.customer_col: customers,
            args.date_col: days.astype("datetime64[D]").astype("datetime64[ns]"),
        }
    )
    if args.amount_col:
        clean[args.amount_col] = amounts
    return clean


def _dates(values: pd.Series, column: str, date_format: str | None) -> pd.Series:
    """Datetimes read with ``--date-format``, or the first bad row as an error.

    Without a format, text is left to the summary's reader (ISO 8601, then
    whatever pandas recognises), which reports bad rows the same way.
    """
    if date_format is None:
        if pd.api.types.is_numeric_dtype(values.dtype):
            raise UsageError(
                f"column '{column}' holds numbers, not dates: give --date-format "
                "(e.g. %Y%m%d)"
            )
        return values
    text = values.astype("string")
    try:
        parsed = pd.to_datetime(text, errors="coerce", format=date_format)
    except ValueError as error:  # a format strptime cannot use at all
        raise UsageError(f"--date-format: {error}") from None
    bad = parsed.isna().to_numpy()
    if bool(bad.any()):
        row = int(np.flatnonzero(bad)[0])
        shown = values.iloc[row]
        shown = "empty" if pd.isna(shown) else str(shown)
        raise UsageError(
            f"column '{column}', row {row + 1}: missing or unparsable date ({shown}) "
            f"for format {date_format}"
        )
    return parsed


def _date_option(value: str | None, option: str) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp: Any
    try:
        stamp = pd.to_datetime(value, format="ISO8601")
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise UsageError(f"{option}: cannot read '{value}' as a date (use YYYY-MM-DD)")
    return pd.Timestamp(stamp).tz_localize(None).normalize()


def _period(
    args: argparse.Namespace, frame: pd.DataFrame
) -> tuple[pd.Timestamp, pd.Timestamp | None]:
    end = _date_option(args.observation_end, "--observation-end")
    if end is None:
        end = pd.Timestamp(frame[args.date_col].max()).normalize()
    calibration = _date_option(args.calibration_end, "--calibration-end")
    if calibration is not None and calibration >= end:
        raise UsageError(
            f"--calibration-end ({calibration.date()}) must be before the observation "
            f"end ({end.date()})"
        )
    return end, calibration


# -- output -------------------------------------------------------------------


def _write_table(table: pd.DataFrame, target: str) -> None:
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


def _plain(value: Any) -> Any:
    """JSON-ready values: numpy scalars to Python, NaN and infinities to null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _print_json(result: dict[str, Any], stream: TextIO | None = None) -> None:
    print(
        json.dumps(_plain(result), ensure_ascii=False, indent=2),
        file=stream or sys.stdout,
    )


def _plots_dir(args: argparse.Namespace) -> Path:
    folder = Path(args.plots)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- rfm ----------------------------------------------------------------------


def _rfm_scores(
    frame: pd.DataFrame, args: argparse.Namespace, end: pd.Timestamp
) -> tuple[pd.DataFrame, Any]:
    from guanxi.analytics.rfm import RFMScorer, rfm_table

    table = rfm_table(
        frame,
        customer_col=args.customer_col,
        datetime_col=args.date_col,
        amount_col=args.amount_col,
        observation_end=end,
    )
    scorer = RFMScorer().fit(table)
    return table.join(scorer.transform(table)), scorer


def _segment_counts(scores: pd.DataFrame) -> dict[str, dict[str, Any]]:
    from guanxi.analytics.rfm import SEGMENT_LABELS_EN, SEGMENT_LABELS_ZH

    counts = scores["segment"].value_counts()
    return {
        key: {
            "name_en": SEGMENT_LABELS_EN[key],
            "name_zh": SEGMENT_LABELS_ZH[key],
            "customers": int(counts.get(key, 0)),
        }
        for key in SEGMENT_LABELS_EN
    }


def run_rfm(args: argparse.Namespace, frame: pd.DataFrame, step: Step) -> int:
    end, _ = _period(args, frame)
    step("scoring RFM")
    scores, scorer = _rfm_scores(frame, args, end)
    segments = _segment_counts(scores)
    if args.out:
        step("writing")
        _write_table(scores.reset_index(), args.out)
    if args.plots:
        from guanxi.analytics.plots import plot_rfm_grid

        step("plotting")
        plot_rfm_grid(scores, _plots_dir(args) / "rfm_segments.png")
    if args.json:
        _print_json(
            {
                "customers": len(scores),
                "observation_end": end.date().isoformat(),
                "edges": {k: list(v) for k, v in scorer.edges_.items()},
                "segments": segments,
            }
        )
    else:
        print(f"Customers / 客户数: {len(scores)}  (as of / 截至 {end.date()})")
        print("Segment / 分群                        customers / 客户数")
        for info in segments.values():
            label = f"{info['name_en']} / {info['name_zh']}"
            print(f"  {label:<34}{info['customers']:>8}")
    return 0


# -- clv ----------------------------------------------------------------------

MODEL_KEYS = {"bgnbd": "BG/NBD", "pnbd": "Pareto/NBD"}


def _fitted(model: Any) -> dict[str, Any]:
    return {
        "params": dict(model.params_),
        "log_likelihood": model.log_likelihood_,
        "standard_errors": dict(model.standard_errors_),
    }


def run_clv(args: argparse.Namespace, frame: pd.DataFrame, step: Step) -> int:
    from guanxi.analytics.clv import BetaGeo, GammaGamma, ParetoNBD
    from guanxi.analytics.summary import rfm_summary

    end, calibration = _period(args, frame)
    step("summarising customers")
    summary = rfm_summary(
        frame,
        customer_col=args.customer_col,
        datetime_col=args.date_col,
        amount_col=args.amount_col,
        observation_end=end,
        calibration_end=calibration,
        time_unit=args.time_unit,
    )
    step(f"fitting {MODEL_KEYS[args.model]}")
    model: Any = (BetaGeo() if args.model == "bgnbd" else ParetoNBD()).fit(summary)
    result: dict[str, Any] = {
        "customers": len(summary),
        "time_unit": args.time_unit,
        "observation_end": end.date().isoformat(),
        "calibration_end": None
        if calibration is None
        else calibration.date().isoformat(),
        args.model: _fitted(model),
    }
    spend: Any = None
    if args.amount_col:
        step("fitting Gamma-Gamma")
        spend = GammaGamma().fit(summary)
        result["gamma_gamma"] = _fitted(spend)

    unit_days = 7.0 if args.time_unit == "W" else 1.0
    months = args.horizon or 12
    period = DAYS_PER_PERIOD / unit_days
    x, t_x, big_t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    step("predicting")
    table = summary[["frequency", "recency", "T", "monetary_value"]].copy()
    table["expected_purchases"] = model.expected_purchases(
        months * period, x, t_x, big_t
    )
    table["probability_alive"] = model.probability_alive(x, t_x, big_t)
    if spend is not None:
        table["expected_average_value"] = spend.expected_average_value(
            x, summary["monetary_value"]
        )
        table["clv"] = model.clv(
            spend,
            x,
            t_x,
            big_t,
            summary["monetary_value"],
            horizon=months,
            time_unit_per_period=period,
        )
    else:
        table["expected_average_value"] = np.nan
        table["clv"] = np.nan
    result["horizon_months"] = months
    result["expected_purchases"] = float(table["expected_purchases"].sum())
    result["clv"] = float(table["clv"].sum()) if spend is not None else None
    if calibration is not None:
        duration = float(summary["duration_holdout"].iloc[0])
        predicted = model.expected_purchases(duration, x, t_x, big_t)
        table["frequency_holdout"] = summary["frequency_holdout"]
        table["expected_purchases_holdout"] = predicted
        result["holdout"] = {
            "duration": duration,
            "predicted_purchases": float(np.sum(predicted)),
            "actual_purchases": float(summary["frequency_holdout"].sum()),
        }
    step("scoring RFM")
    as_of = end if calibration is None else calibration
    in_period = frame[frame[args.date_col].dt.normalize() <= as_of]
    scores, _ = _rfm_scores(in_period, args, as_of)
    rfm_columns = [c for c in scores.columns if c.endswith("_score")] + [
        "rfm_cell",
        "segment",
        "segment_zh",
    ]
    table = table.join(scores[rfm_columns])
    table.index.name = "customer_id"
    if args.out:
        step("writing")
        _write_table(table.reset_index(), args.out)
    if args.plots:
        step("plotting")
        _clv_plots(args, frame, model, summary, end, calibration, months * period)
    if args.json:
        _print_json(result)
    else:
        _print_clv(result, args.model)
    return 0


def _clv_plots(
    args: argparse.Namespace,
    frame: pd.DataFrame,
    model: Any,
    summary: pd.DataFrame,
    end: pd.Timestamp,
    calibration: pd.Timestamp | None,
    horizon: float,
) -> None:
    from guanxi.analytics import plots

    folder = _plots_dir(args)
    if calibration is not None:
        plots.plot_cumulative_purchases(
            frame,
            model,
            folder / "calibration_holdout.png",
            customer_col=args.customer_col,
            datetime_col=args.date_col,
            calibration_end=calibration,
            observation_end=end,
            time_unit=args.time_unit,
        )
    plots.plot_expected_purchases_matrix(
        model, summary, folder / "expected_purchases.png", t=horizon
    )
    plots.plot_probability_alive_matrix(
        model, summary, folder / "probability_alive.png"
    )


def _print_clv(result: dict[str, Any], key: str) -> None:
    print(
        f"Customers / 客户数: {result['customers']}  (time unit / 时间单位 {result['time_unit']})"
    )
    for name, label in ((key, MODEL_KEYS[key]), ("gamma_gamma", "Gamma-Gamma")):
        if name in result:
            fitted = result[name]
            shown = ", ".join(f"{k} {v:.4f}" for k, v in fitted["params"].items())
            print(
                f"{label}: {shown}; log-likelihood / 对数似然 {fitted['log_likelihood']:.2f}"
            )
    months = result["horizon_months"]
    print(
        f"Expected purchases in {months} months / 未来 {months} 个月预期购买: "
        f"{result['expected_purchases']:.1f}"
    )
    if result["clv"] is not None:
        print(
            f"CLV over {months} months / {months} 个月客户终身价值: {result['clv']:.2f}"
        )
    if "holdout" in result:
        holdout = result["holdout"]
        print(
            f"Holdout / 验证期: predicted / 预测 {holdout['predicted_purchases']:.1f}, "
            f"actual / 实际 {holdout['actual_purchases']:.0f}"
        )


# -- cohorts ------------------------------------------------------------------


def run_cohorts(args: argparse.Namespace, frame: pd.DataFrame, step: Step) -> int:
    from guanxi.analytics.cohorts import (
        cohort_revenue,
        repurchase_rate,
        retention_table,
    )

    end, _ = _period(args, frame)
    columns = {"customer_col": args.customer_col, "datetime_col": args.date_col}
    step("building cohorts")
    counts = retention_table(frame, **columns, observation_end=end)
    rates = counts.astype(float).div(counts[0].astype(float), axis=0)
    repeat = repurchase_rate(frame, **columns, observation_end=end)
    revenue = (
        cohort_revenue(
            frame, **columns, amount_col=args.amount_col, observation_end=end
        )
        if args.amount_col
        else None
    )
    # One row per observed (cohort, month); months after the observation end
    # are left out.
    rows, months = np.nonzero(counts.notna().to_numpy())
    long = pd.DataFrame(
        {
            "cohort": counts.index.astype(str).to_numpy()[rows],
            "months_since_first": counts.columns.to_numpy(dtype=np.int64)[months],
            "customers": counts.to_numpy(dtype=float, na_value=np.nan)[
                rows, months
            ].astype(np.int64),
            "retention_rate": rates.to_numpy(dtype=float)[rows, months],
        }
    )
    if revenue is not None:
        long["revenue"] = revenue.to_numpy(dtype=float)[rows, months]
    if args.out:
        step("writing")
        _write_table(long, args.out)
    if args.plots:
        from guanxi.analytics.plots import plot_cohort_retention

        step("plotting")
        plot_cohort_retention(rates, _plots_dir(args) / "cohort_retention.png")
    if args.json:
        cohorts = []
        for cohort in counts.index:
            observed = counts.loc[cohort].dropna()
            entry: dict[str, Any] = {
                "cohort": str(cohort),
                "customers": int(counts.loc[cohort, 0]),
                "repeat_customers": int(repeat.loc[cohort, "repeat_customers"]),
                "repurchase_rate": float(repeat.loc[cohort, "repurchase_rate"]),
                "active": [int(v) for v in observed],
                "retention": [float(v) for v in rates.loc[cohort].dropna()],
            }
            if revenue is not None:
                entry["revenue"] = [float(v) for v in revenue.loc[cohort].dropna()]
            cohorts.append(entry)
        _print_json({"observation_end": end.date().isoformat(), "cohorts": cohorts})
    else:
        print(f"Retention by cohort / 同期群留存率 (as of / 截至 {end.date()})")
        shown = rates.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
        shown.insert(
            0, "repurchase / 复购率", repeat["repurchase_rate"].map("{:.0%}".format)
        )
        shown.insert(0, "customers / 客户数", counts[0].astype(int))
        print(shown.to_string())
    return 0


# -- churn --------------------------------------------------------------------


def run_churn(args: argparse.Namespace, frame: pd.DataFrame, step: Step) -> int:
    """Backtest: train at one cut-off, score the next, beside the BG/NBD baseline.

    A customer churns when they buy nothing in the ``--horizon`` days (default
    90) after a cut-off. The test cut-off is ``--calibration-end``, by default
    the observation end minus the horizon; the training cut-off is one horizon
    earlier, so the training labels are known before the test period starts.
    """
    from guanxi.analytics.churn import ChurnClassifier, backtest

    end, calibration = _period(args, frame)
    horizon = args.horizon or 90
    test_at = (
        calibration if calibration is not None else end - pd.Timedelta(days=horizon)
    )
    train_at = test_at - pd.Timedelta(days=horizon)
    classifier = ChurnClassifier(
        customer_col=args.customer_col,
        datetime_col=args.date_col,
        amount_col=args.amount_col,
        horizon_days=horizon,
        random_state=0,
    )
    step("training and backtesting the churn classifier")
    report = backtest(
        frame,
        train_cutoff=train_at.date(),
        test_cutoff=test_at.date(),
        classifier=classifier,
        observation_end=end.date(),
    )
    if args.out:
        step("writing")
        scores = report.scores.copy()
        scores.index.name = "customer_id"
        _write_table(scores.reset_index(), args.out)
    if args.json:
        _print_json(report.to_dict())
    else:
        _print_churn(report)
    return 0


def _print_churn(report: Any) -> None:
    print(
        f"Churn = no purchase within {report.horizon_days} days / "
        f"{report.horizon_days} 天内无购买视为流失"
    )
    print(
        f"Train cut-off / 训练截止 {report.train_cutoff} ({report.n_train} customers / "
        f"客户, churn rate / 流失率 {report.train_churn_rate:.1%}); "
        f"test cut-off / 测试截止 {report.test_cutoff} ({report.n_test}, "
        f"{report.test_churn_rate:.1%})"
    )
    print(f"{'':<10}{'classifier / 分类器':>22}{'BG/NBD P(alive) baseline / 基线':>36}")
    for label, name in (
        ("ROC-AUC", "roc_auc"),
        ("PR-AUC", "pr_auc"),
        ("Brier", "brier"),
    ):
        model, baseline = getattr(report.model, name), getattr(report.baseline, name)
        print(f"{label:<10}{model:>22.4f}{baseline:>36.4f}")
    print("Features that drive the score / 主要影响因素:")
    for feature, row in report.feature_importance.head(5).iterrows():
        print(f"  {feature:<28}{row['mean']:+.4f}")


COMMANDS: dict[str, Callable[[argparse.Namespace, pd.DataFrame, Step], int]] = {
    "rfm": run_rfm,
    "clv": run_clv,
    "churn": run_churn,
    "cohorts": run_cohorts,
}
