"""Input no database can keep, refused (or, for the journals, dropped) in one place.

The API's parser (CheckedParser) reads JSON bodies and query strings for every ninja operation. Here it also
refuses what no field of Leadflow can store, naming the field: NUL characters (PostgreSQL text and jsonb
cannot hold them), lone surrogates (no UTF-8 encodes them, so neither database can), integers past 64 bits
(no id or number column holds them) and numbers that are not finite. A body must be a JSON object: every
Leadflow endpoint takes named fields. The channels that read their bodies by hand use the same checks
(unstorable_fields: the tracker, the call webhook); the intake journals keep a submission with those
characters dropped (storable), as the pipeline always dropped NUL, so nothing submitted is lost. Pages and
hand-parsed parameters read ids with parse_id.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import ValidationError
from ninja.parser import Parser
from ninja.schema import DjangoGetter
from pydantic import model_validator
from pydantic_core import PydanticCustomError

MAX_INT = 2**63 - 1  # a signed 64-bit column: ids are BigAutoField
MAX_INT32 = 2**31 - 1  # an IntegerField / PositiveIntegerField column
MAX_SEARCH = 200  # characters of a search box (SQLite refuses LIKE patterns past 50,000 bytes)


def parse_id(text: str) -> int | None:
    """A positive id written in ASCII digits that fits a 64-bit column, else None ("²".isdigit() is True, and
    int("²") fails; 2**70 overflows SQLite and PostgreSQL alike)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_INT else None


class NestedObject(Schema):
    """A schema used as a field of another: only a JSON object may fill it.

    ninja's Schema reads any value's attributes (so that it can serialise model instances); as input, a string
    or a list in place of an object would otherwise pass as an object with every field left at its default.
    """

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        raw = value._obj if isinstance(value, DjangoGetter) else value  # ninja's own wrapper runs first
        if not isinstance(raw, dict | Schema):
            raise PydanticCustomError("object_expected", _("Must be a JSON object."))
        return value


def storable(value: Any) -> Any:
    """A parsed JSON document as a database can keep it: NUL and lone surrogates dropped from every string and
    key (PostgreSQL's jsonb refuses both; the journal must still keep the rest)."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    if isinstance(value, dict):
        return {storable(str(key)): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def text_problem(value: str) -> str:
    """Why a string cannot be stored, or ""."""
    if "\x00" in value:
        return _("Must not contain NUL characters (\\u0000).")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Must be valid Unicode text (it holds a lone surrogate).")
    return ""


def number_problem(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int) and not -MAX_INT - 1 <= value <= MAX_INT:
        return _("The number is too large.")
    if isinstance(value, float) and not math.isfinite(value):
        return _("Must be a finite number.")
    return ""


def problems_in(value: Any, loc: tuple[Any, ...], found: list[dict[str, Any]]) -> None:
    """Collect every unstorable value in a parsed JSON document, each with where it is."""
    if isinstance(value, str):
        problem = text_problem(value)
    elif isinstance(value, int | float):
        problem = number_problem(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problem = text_problem(key)
            if key_problem:
                found.append({"loc": loc, "msg": key_problem, "type": "invalid_key"})
                continue
            problems_in(item, (*loc, key), found)
        return
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems_in(item, (*loc, index), found)
        return
    else:
        return
    if problem:
        found.append({"loc": loc, "msg": problem, "type": "unstorable_value"})


def unstorable_fields(data: Any) -> dict[str, list[str]]:
    """For channels that read JSON by hand: each unstorable value by its dotted place ("events.0.url")."""
    found: list[dict[str, Any]] = []
    problems_in(data, (), found)
    fields: dict[str, list[str]] = {}
    for item in found:
        fields.setdefault(".".join(str(p) for p in item["loc"]) or "__all__", []).append(item["msg"])
    return fields


class CheckedParser(Parser):
    """The default JSON parser, plus the checks above; a refusal names the field (422)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        # ninja turns any exception here into a 400; the API's handler of that 400 answers a ValidationError
        # it was caused by as the 422 it is (see leadflow.api.http_error).
        if not isinstance(data, dict):
            raise ValidationError([{"loc": ("body",), "msg": _("The body must be a JSON object."),
                                    "type": "object_expected"}])
        found: list[dict[str, Any]] = []
        problems_in(data, ("body", "payload"), found)  # the shape of ninja's own locations
        if found:
            raise ValidationError(found)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        found: list[dict[str, Any]] = []
        source = "query" if data is request.GET else "form"
        for key, values in data.lists():
            for value in values:
                if isinstance(value, str):
                    problem = text_problem(value) or text_problem(key)
                    if problem:
                        found.append({"loc": (source, key), "msg": problem, "type": "unstorable_value"})
                        break
        if found:
            raise ValidationError(found)
        return super().parse_querydict(data, list_fields, request)
