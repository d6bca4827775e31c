"""The ``guanxi`` command: Guanxi's own commands first, then Django's.

``guanxi analyze …`` runs the analytics engine on a file without the web app
(and without Django, parsing its arguments before pandas loads); everything
else goes through Django's management commands. ``guanxi``, ``guanxi help``
and ``guanxi --help`` list Guanxi's commands by group with one line each, and
Django's under their own heading.

The command line speaks the terminal's language (``LANG=zh_CN.UTF-8`` →
简体中文): messages of the commands through Django's translations, and the
command line's own words — argparse's ("usage:", "the following arguments are
required: …"), "Unknown command", the ``CommandError:`` prefix, this help —
from the catalog ``locale/zh_Hans/LC_MESSAGES/cli.po``. argparse looks its
words up through the module-level ``_`` and ``ngettext`` it imported from
:mod:`gettext`; they are pointed at that catalog here, once, before any
parser is built (the stdlib way, ``textdomain``, would pick the language by
other rules than the rest of Guanxi and from a ``zh_CN`` folder).
"""

from __future__ import annotations

import argparse
import gettext
import os
import sys
import textwrap
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from guanxi.core.i18n import terminal_language

LOCALE = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:
    """Mark a message for the catalog; it is translated where it is shown."""
    return message


#: Guanxi's commands by group, each with a one-line description.
COMMANDS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        N_("Run Guanxi"),
        (
            ("start", N_("serve the web app with its task worker (--demo: demo data)")),
            ("demo", N_("fill the database with realistic demo customers and orders")),
        ),
    ),
    (
        N_("Data in and out"),
        (
            ("import", N_("import customers, orders or interactions (CSV, XLSX)")),
            ("export", N_("export customers or orders, as a user's role allows")),
            (
                "purchases",
                N_("recompute every customer's spend, orders, last purchase"),
            ),
        ),
    ),
    (
        N_("Analytics"),
        (
            ("score", N_("score every customer as of a day: value, stage, churn risk")),
            ("analyze", N_("RFM, CLV, churn and cohorts on a file of transactions")),
        ),
    ),
    (
        N_("Messaging"),
        (
            ("send", N_("queue a message to each customer of an audience")),
            ("worker", N_("run the task worker in the foreground (sends messages)")),
            (
                "messages",
                N_("the outbox by status; report: each broadcast's figures"),
            ),
        ),
    ),
    (
        N_("Care"),
        (
            (
                "warnings",
                N_("evaluate the early-warning signals: open warnings and care tasks"),
            ),
        ),
    ),
    (
        N_("Journeys"),
        (
            (
                "journeys",
                N_("run the journeys for a day; list, enable or disable one"),
            ),
        ),
    ),
    (
        N_("Coupons"),
        (
            (
                "pairs",
                N_("compute the products bought together (customer page suggestions)"),
            ),
        ),
    ),
    (
        N_("Needs"),
        (
            (
                "needs",
                N_("mine what customers wrote into the needs list (mine --since)"),
            ),
        ),
    ),
    (
        N_("Access"),
        (
            ("api-token", N_("create a user's REST API token (shown once)")),
            ("keys", N_("rotate the encryption, blind-index or pseudonym key; status")),
        ),
    ),
    (
        N_("Privacy"),
        (
            ("dsar", N_("export or erase one customer's data (data-subject request)")),
            ("retention", N_("purge personal data past its retention (--dry-run)")),
            ("files", N_("remove attachment files left without their row (sweep)")),
        ),
    ),
)


#: The help of the options Django gives every command (``BaseCommand.create_parser``,
#: Django 5.2), translated from this catalog like argparse's own words.
DJANGO_OPTIONS_HELP = frozenset(
    {
        N_("Show program's version number and exit."),
        N_(
            "Verbosity level; 0=minimal output, 1=normal output, 2=verbose output, "
            "3=very verbose output"
        ),
        N_(
            "The Python path to a settings module, e.g. "
            '"myproject.settings.main". If this isn\'t provided, the '
            "DJANGO_SETTINGS_MODULE environment variable will be used."
        ),
        N_(
            "A directory to add to the Python path, e.g. "
            '"/home/djangoprojects/myproject".'
        ),
        N_("Display a full stack trace on CommandError exceptions."),
        N_("Don't colorize the command output."),
        N_("Force colorization of the command output."),
        N_("Skip system checks."),
    }
)


#: Commands that read or write the data: they set up a new database first.
DATA_COMMANDS = frozenset(
    {
        "demo",
        "import",
        "export",
        "api_token",
        "score",
        "send",
        "worker",
        "messages",
        "purchases",
        "warnings",
        "dsar",
        "retention",
        "files",
        "keys",
        "journeys",
        "pairs",
        "needs",
    }
)


def _import_reader(path: Path) -> tuple[list[str], list[list[Any]]]:
    """The import's reader (every encoding, XLSX, the file limits) for
    ``guanxi analyze sentiment``; its refusals as ``ValueError``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.utils import translation

    from guanxi.core.errors import DomainError

    translation.activate(terminal_language())
    from guanxi.ingest.services import table_read

    try:
        return table_read(path)
    except DomainError as error:
        raise ValueError(str(error)) from None


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    catalog = _catalog()
    if args[:2] == ["analyze", "sentiment"]:
        from guanxi.analytics.sentiment_cli import main as sentiment_main

        raise SystemExit(
            sentiment_main(args[2:], gettext=catalog.gettext, read_table=_import_reader)
        )
    if args[:1] == ["analyze"] or args[:2] == ["help", "analyze"]:
        from guanxi.analytics.cli import main as analyze_main

        analyze = args[1:] if args[0] == "analyze" else ["--help"]
        raise SystemExit(analyze_main(analyze, gettext=catalog.gettext))
    typed = args[0] if args else ""
    if args and not args[0].startswith("-"):
        # `guanxi api-token` runs the management command `api_token`.
        args[0] = args[0].replace("-", "_")
    from guanxi.core.files import private_umask

    private_umask()  # data files 0600, folders 0700 (guanxi.core.files)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django
    from django.utils import translation

    django.setup()
    # Messages follow the terminal's locale (LANG=zh_CN.UTF-8 → 简体中文).
    translation.activate(terminal_language())
    if args[:1] and args[0] in DATA_COMMANDS and not {"-h", "--help"} & set(args):
        from guanxi.core.schema import schema_ensure

        schema_ensure(sys.stderr)  # a new data folder: its tables first
    _utility(catalog, typed)(["guanxi", *args]).execute()
    if args[:1] == ["score"]:
        # Its data written and closed, the run's process ends without the
        # interpreter's seconds-long teardown of its heap (core.exiting).
        from guanxi.core.exiting import exit_after_closing

        exit_after_closing(0)


def _catalog() -> gettext.NullTranslations:
    """The command line's catalog for the terminal's language, given to argparse."""
    if terminal_language() == "zh-hans":
        catalog = gettext.translation(
            "cli", LOCALE, languages=["zh_Hans"], fallback=True
        )
    else:
        catalog = gettext.NullTranslations()
    setattr(argparse, "_", catalog.gettext)  # noqa: B010 (see the docstring)
    setattr(argparse, "ngettext", catalog.ngettext)  # noqa: B010
    return catalog


def _utility(catalog: gettext.NullTranslations, typed: str) -> Any:
    """Django's ManagementUtility with Guanxi's help, in the terminal's language."""
    from django.core.management import ManagementUtility, get_commands
    from django.core.management.base import OutputWrapper

    _ = catalog.gettext

    class LocalisedErrors(OutputWrapper):
        """stderr of a command: ``CommandError:`` in the terminal's language."""

        def write(  # type: ignore[override]
            self, msg: str = "", style_func: Any = None, ending: str | None = None
        ) -> None:
            prefix = "CommandError: "
            if msg.startswith(prefix):
                msg = _("CommandError: ") + msg[len(prefix) :]
            super().write(msg, style_func, ending)

    class Utility(ManagementUtility):
        def main_help_text(self, commands_only: bool = False) -> str:
            if commands_only:
                return "\n".join(sorted([*get_commands(), "analyze"]))
            return _help_text(_, dict(get_commands()))

        def fetch_command(self, subcommand: str) -> Any:
            commands = get_commands()
            if subcommand not in commands:
                shown = typed if typed.replace("-", "_") == subcommand else subcommand
                names = [n.replace("_", "-") for n in [*commands, "analyze"]]
                message = _("Unknown command: %r") % shown
                close = get_close_matches(shown, names)
                if close:
                    message += _(". Did you mean %s?") % close[0]
                sys.stderr.write(message + "\n")
                sys.stderr.write(_("Type '%s help' for usage.") % self.prog_name + "\n")
                sys.exit(1)
            command = super().fetch_command(subcommand)
            errors = LocalisedErrors(sys.stderr)
            errors.style_func = command.style.ERROR
            command.stderr = errors
            create_parser = command.create_parser

            def localised_parser(*args: Any, **kwargs: Any) -> Any:
                """The command's parser, Django's own options in the terminal's
                language (the command's are translated by its app's catalog)."""
                parser = create_parser(*args, **kwargs)
                for action in parser._actions:
                    if action.help in DJANGO_OPTIONS_HELP:
                        action.help = _(action.help)
                return parser

            command.create_parser = localised_parser  # type: ignore[method-assign]
            return command

    return Utility


def _help_text(_: Any, commands: dict[str, Any]) -> str:
    """Guanxi's commands by group, then Django's by app."""
    ours = {name for _group, rows in COMMANDS for name, _text in rows}
    lines = [_("Usage: guanxi <command> [options]"), "", _("Guanxi's commands:")]
    extra = sorted(
        name.replace("_", "-")
        for name, app in commands.items()
        if _is_guanxi(app) and name.replace("_", "-") not in ours
    )
    groups = [*COMMANDS]
    if extra:
        groups.append((N_("More"), tuple((n, _first_line(commands, n)) for n in extra)))
    width = max(len(name) for _group, rows in groups for name, _text in rows)
    for group, rows in groups:
        lines.append(f"  {_(group)}")
        lines += [f"    {name:<{width}}  {_(text)}" for name, text in rows]
    lines += [
        "",
        _("Type 'guanxi help <command>' for help on a command."),
        "",
        _("Django's commands (administration and development):"),
    ]
    by_app: dict[str, list[str]] = {}
    for name, app in commands.items():
        if not _is_guanxi(app):
            label = "django" if app == "django.core" else str(app).rpartition(".")[2]
            by_app.setdefault(label, []).append(name)
    for label in sorted(by_app):
        names = ", ".join(sorted(by_app[label]))
        lines += textwrap.wrap(
            names, 78, initial_indent=f"  [{label}] ", subsequent_indent="    "
        )
    return "\n".join(lines)


def _is_guanxi(app: Any) -> bool:
    return isinstance(app, str) and app.startswith("guanxi.")


def _first_line(commands: dict[str, Any], name: str) -> str:
    from django.core.management import load_command_class

    command = load_command_class(
        commands[name.replace("-", "_")], name.replace("-", "_")
    )
    return str(command.help).strip().splitlines()[0] if command.help else ""


if __name__ == "__main__":
    main()
