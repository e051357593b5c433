"""E-mail templates rendered with Django's template language, boxed in.

Template authors are staff, but the values come from public forms (a lead's name), so:
- only whitelisted variables and filters, and only the {% if %} family of tags, are allowed; a
  template is checked when saved and again before rendering;
- the engine has no loaders and no libraries ({% include %}, {% load %} and friends cannot reach
  anything), and the context holds plain strings only, so no attribute of a model is reachable;
- HTML is rendered with autoescape on; the subject and the text part are plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils.translation import gettext as _

VARIABLES = (
    "name", "first_name", "manager", "product", "discount_code", "holiday", "survey_url", "unsubscribe_url",
)
FILTERS = {"default", "upper", "lower", "title", "capfirst", "linebreaksbr"}
TAGS = {"if", "elif", "else", "endif", "comment", "endcomment"}
IF_WORDS = {"and", "or", "not", "==", "!=", "in"}

_engine = Engine(loaders=[], libraries={}, builtins=["django.template.defaulttags", "django.template.defaultfilters"],
                 autoescape=True, string_if_invalid="")


class TemplateProblem(ValueError):
    """The template uses something outside the whitelist, or does not parse."""


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LITERAL = re.compile(r"""^(?:"[^"]*"|'[^']*'|-?\d+(?:\.\d+)?)$""")


def _check_expression(text: str) -> None:
    """A `{{ ... }}` body: a whitelisted variable (or a literal) and whitelisted filters."""
    parts = text.split("|")
    head = parts[0].strip()
    if not _LITERAL.match(head) and head not in VARIABLES:
        raise TemplateProblem(_("Unknown variable “%(name)s”; use one of: %(allowed)s.")
                              % {"name": head, "allowed": ", ".join(VARIABLES)})
    for part in parts[1:]:
        name, _sep, argument = part.partition(":")
        if name.strip() not in FILTERS:
            raise TemplateProblem(_("Filter “%(name)s” is not allowed.") % {"name": name.strip()})
        if argument and not _LITERAL.match(argument.strip()) and argument.strip() not in VARIABLES:
            raise TemplateProblem(_("Filter arguments must be texts, numbers or known variables."))


def check_template(source: str) -> None:
    """Raise TemplateProblem naming what is not allowed; a template that passes also compiles."""
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.VAR:
            _check_expression(token.contents)
        elif token.token_type == TokenType.BLOCK:
            words = token.split_contents()
            tag = words[0] if words else ""
            if tag not in TAGS:
                raise TemplateProblem(_("Tag “%(tag)s” is not allowed; only if / elif / else / endif.") % {"tag": tag})
            for word in words[1:]:
                if word not in IF_WORDS:
                    _check_expression(word)
    try:
        _engine.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(str(error)) from None


@dataclass
class Rendered:
    subject: str
    html: str
    text: str
    links: list[str] = field(default_factory=list)


def render_text(source: str, values: dict[str, Any], *, html: bool) -> str:
    check_template(source)
    context = {name: str(values.get(name, "") or "") for name in VARIABLES}
    return _engine.from_string(source).render(Context(context, autoescape=html))


def render_message(*, subject: str, html_body: str, text_body: str, values: dict[str, Any]) -> Rendered:
    """Subject (one line), HTML (escaped values) and text (from the HTML when the template has none)."""
    from leadflow.inbox.parsing import html_to_text

    html = render_text(html_body, values, html=True)
    text = render_text(text_body, values, html=False) if text_body.strip() else html_to_text(html)
    one_line = " ".join(render_text(subject, values, html=False).split())
    return Rendered(subject=one_line[:255], html=html, text=text)
