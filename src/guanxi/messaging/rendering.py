"""Message templates: Jinja2 in a sandbox, checked before anything is queued.

Staff write templates, so they run in Jinja2's ``SandboxedEnvironment`` (no
attribute of Python's internals, no calls into the host) with
``StrictUndefined``: a variable that is not one of :data:`VARIABLES` is refused
when the template is checked, with its line, and so is a syntax error. A
template file is ``Subject: …`` on its first line (e-mail), a blank line, then
the body. The subject is one line whatever the values hold (line breaks become
spaces), so no value can add a header.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from guanxi.core.errors import ValidationFailed

#: The variables a template may use (each a string; empty when unknown).
VARIABLES = (
    "name",
    "city",
    "manager",
    "store",
    "product",
    "coupon_code",
    "survey_url",
    "preferences_url",
)
SAMPLE = {
    "name": "张伟",
    "city": "上海",
    "manager": "李娜",
    "store": "Guanxi",
    "product": "龙井",
    "coupon_code": "GX-0000",
    "survey_url": "https://example.com/s/…",
    # As long as a real link (its sealed token is 98 characters), so an SMS
    # template's length is counted with it.
    "preferences_url": "https://example.com/m/preferences/" + "x" * 98 + "/",
}
SUBJECT_PREFIX = "Subject:"
SUBJECT_MAX = 150
BODY_MAX = 100_000
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_TEMPLATE_FILE = "<template>"


@dataclass(frozen=True)
class MessageTemplate:
    """A checked template: ``subject`` (may be empty) and ``body``, and the
    file line the body starts on (for errors)."""

    subject: str
    body: str
    body_line: int = 1


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


def _where(line: int, message: str) -> ValidationFailed:
    return ValidationFailed(
        _("Line %(line)d: %(message)s") % {"line": line, "message": message},
        field="template",
    )


def _check_part(source: str, *, first_line: int) -> None:
    env = _environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as error:
        raise _where(first_line + (error.lineno or 1) - 1, str(error.message)) from None
    assigned = {
        n.name for n in tree.find_all(nodes.Name) if n.ctx in {"store", "param"}
    }
    for name in tree.find_all(nodes.Name):
        if (
            name.ctx == "load"
            and name.name not in VARIABLES
            and name.name not in assigned
        ):
            raise _where(
                first_line + name.lineno - 1,
                _("unknown variable %(name)r") % {"name": name.name},
            )
    try:
        env.from_string(source).render(SAMPLE)
    except TemplateError as error:
        raise _where(first_line + _error_line(error) - 1, str(error.message)) from None


def part_check(source: str) -> None:
    """Check one part (a subject or a body) on its own, as :func:`template_parse`
    checks each. Raises ``ValidationFailed`` with the part's line."""
    _check_part(source, first_line=1)


def _error_line(error: BaseException) -> int:
    """The template line an error was raised at (Jinja2 puts the template's
    own lines into the traceback)."""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if f.filename == _TEMPLATE_FILE
    ]
    return frames[-1].lineno or 1 if frames else 1


def template_parse(text: str, *, needs_subject: bool) -> MessageTemplate:
    """Split a template file into subject and body and check both. Raises
    ``ValidationFailed`` with the file's line."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if len(text) > BODY_MAX:
        raise ValidationFailed(
            _("The template is longer than %(n)d characters.") % {"n": BODY_MAX},
            field="template",
        )
    subject, body, body_line = "", text, 1
    first, _newline, rest = text.partition("\n")
    if first.startswith(SUBJECT_PREFIX):
        subject = first[len(SUBJECT_PREFIX) :].strip()
        if rest.startswith("\n"):
            body, body_line = rest[1:], 3
        else:
            raise _where(2, _("a blank line must follow the subject"))
    elif needs_subject:
        raise _where(1, _("an e-mail template starts with 'Subject: …'"))
    if needs_subject and not subject:
        raise _where(1, _("the subject is empty"))
    if len(subject) > SUBJECT_MAX:
        raise _where(
            1, _("the subject is longer than %(n)d characters") % {"n": SUBJECT_MAX}
        )
    if not body.strip():
        raise _where(body_line, _("the body is empty"))
    _check_part(subject, first_line=1)
    _check_part(body, first_line=body_line)
    return MessageTemplate(subject=subject, body=body, body_line=body_line)


@lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    """A template compiled once per process: a broadcast's every message
    renders the same source (compiling costs more than rendering)."""
    return _environment().from_string(source)


def render(*, subject: str, body: str, values: dict[str, Any]) -> Rendered:
    """Render a checked template with one customer's values. The subject is
    one line; the HTML part is the text, escaped, in paragraphs."""
    context = {name: str(values.get(name) or "") for name in VARIABLES}
    one_line = _LINE_BREAKS.sub(" ", _compiled(subject).render(context)).strip()
    text = _compiled(body).render(context)
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f"{linebreaks(text, autoescape=True)}</body></html>"
    )
    return Rendered(subject=one_line, text=text, html=html)


def footer_add(rendered: Rendered, *, links: list[tuple[str, str]]) -> Rendered:
    """``rendered`` with a footer of (words, URL) links after the text: a
    line each in the text part, a small paragraph of links in the HTML."""
    if not links:
        return rendered
    text = rendered.text.rstrip("\n") + "\n\n--\n"
    text += "\n".join(f"{words}: {url}" for words, url in links)
    anchors = " · ".join(
        f'<a href="{escape(url)}">{escape(words)}</a>' for words, url in links
    )
    footer = f'<hr><p style="font-size:12px;color:#666">{anchors}</p></body>'
    html = rendered.html.replace("</body>", footer, 1)
    return Rendered(subject=rendered.subject, text=text, html=html)
