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
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Path, Schema
from ninja.errors import ValidationError
from ninja.parser import Parser
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
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


class BodyIn(Schema):
    """The schema of a JSON body (or of an object in one): each field takes exactly the JSON type the API's document
    states, as pydantic's strict mode reads it. "5" or 5.0 is not an integer, 5 is not a string, "true" or 1 is not
    a boolean, a list or an object is not a scalar (nor the other way round): each is refused with 422 naming the
    field and the type it takes ("Input should be a valid integer"). A date or a time is the exception JSON makes it:
    an ISO 8601 string (IsoDate, IsoDateTime read it so).

    Query parameters are strings by nature, so their schemas are not this: QueryInt and QueryBool read them
    strictly instead."""

    model_config = ConfigDict(strict=True)


class NestedObject(BodyIn):
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


# ---------------------------------------------------------------- rules the API's document states


def _not_a_number(value: Any) -> Any:
    """pydantic reads a number (or a string of one) as a Unix time; the document promises an ISO 8601 string, and a
    partner who sends `since=0` means no date, not 1970."""
    looks_numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(value, str):
        try:
            float(value)
            looks_numeric = True
        except ValueError:
            pass
    if looks_numeric:
        raise PydanticCustomError("iso_8601_expected", _("Must be a date (and time) in ISO 8601, not a number."))
    return value


def _in_utc(value: datetime) -> datetime:
    """A time with its offset, as UTC: pydantic reads offsets up to 23:59 and PostgreSQL refuses any past 15:59
    ("time zone displacement out of range", a server error); a time without one stays as given (the user's zone
    reads it)."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first day a datetime holds
        raise PydanticCustomError("datetime_out_of_range", _("The date is out of range.")) from None


def _not_true_or_false(value: Any) -> Any:
    """pydantic reads true and false as 1 and 0 where an integer is wanted; the document says integer, and
    `"owner_id": true` is a mistake, not user 1."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", _("Must be a whole number, not true or false."))
    return value


def integer(**limits: Any) -> Any:
    """An integer of a JSON body, as the document states it: true and false are refused (422 naming the field), and
    `limits` (ge, le) are the document's minimum and maximum (given here, not in the field's Field(), where pydantic
    would leave them out of the document)."""
    return Annotated[int, Field(**limits), BeforeValidator(_not_true_or_false)]


# A date or a date and time written in ISO 8601 ("2025-03-31", "2025-03-31T09:30:00+03:00"), never a number. Not
# strict even in a BodyIn: JSON has no date, so the string is read (strict mode would take only a Python date).
IsoDate = Annotated[date, Strict(False), BeforeValidator(_not_a_number)]
IsoDateTime = Annotated[datetime, Strict(False), BeforeValidator(_not_a_number), AfterValidator(_in_utc)]

DIGITS = re.compile(r"-?[0-9]+")


def digits(value: Any) -> Any:
    """A whole number in a query string or a path, as the document's integer: ASCII digits with an optional minus.
    pydantic would also read "5.0", " 5", "+5" and "5_000" as 5."""
    if isinstance(value, str) and not DIGITS.fullmatch(value):
        raise PydanticCustomError("int_parsing", _("Must be a whole number, written in digits (e.g. 50)."))
    return value


def _true_or_false(value: Any) -> Any:
    """A boolean in a query string, as the document's boolean is written: true or false. pydantic would also read
    1, yes, on, t, y, True and their opposites."""
    if isinstance(value, str) and value not in ("true", "false"):
        raise PydanticCustomError("bool_parsing", _("Must be true or false."))
    return value


# An integer and a boolean of a query string (or a path), read strictly: "?limit=5.0", "?limit=abc" or "?pool=yes" is
# refused with 422 naming the parameter. `limits` (ge, le) are the document's minimum and maximum.
QueryBool = Annotated[bool, BeforeValidator(_true_or_false)]


def query_int(**limits: Any) -> Any:
    return Annotated[int, Field(**{"ge": -MAX_INT - 1, "le": MAX_INT, **limits}), BeforeValidator(digits)]


QueryId = query_int(ge=1)

# The types of refusal a type of its own answers in pydantic's words ("Input should be a valid integer"): worded()
# leaves those as they are and words only the refusals of the rule itself.
TYPE_ERRORS = ("_type", "_parsing", "missing")


def worded(message: Any) -> WrapValidator:
    """A field's rule (its range, its choices, its length), checked by pydantic so the API's document states it,
    refused in Leadflow's own words in the reader's language rather than in pydantic's English: `message` is a lazy
    gettext string, or a mapping from pydantic's type of refusal ("greater_than_equal") to one."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except PydanticValidationError as error:
            if any(item["type"].endswith(TYPE_ERRORS) for item in error.errors()):
                raise
            said = message.get(error.errors()[0]["type"], "") if isinstance(message, Mapping) else message
            raise PydanticCustomError("invalid_value", str(said or error.errors()[0]["msg"])) from None

    return WrapValidator(validate)


def page_limit(most: int, message: Any) -> Any:
    """How many items a page may ask for: 1 to `most`."""
    return Annotated[int, Field(ge=1, le=most), worded(message), BeforeValidator(digits)]


# An id in a path (/api/leads/{lead_id}): 1 to 2**63-1, as the document states; 0, a negative number or one past 64 bits
# is refused with 422 naming the field, as an id in a body is (no record has one, and no database compares with 2**70).
PathId = Annotated[int, Field(ge=1, le=MAX_INT),
                   worded(gettext_lazy("Must be an id: a whole number from 1 to 9223372036854775807.")),
                   BeforeValidator(digits), Path()]


def one_of(values: Iterable[str], message: Any) -> Any:
    """A string that must be one of `values`, exactly as the document lists them (its enum: " hot " is not "hot"),
    and a refusal says `message` in the reader's language (a lazy gettext string, or a function of the refused value
    that gives one)."""
    allowed = tuple(values)

    def check(value: str) -> str:
        if value not in allowed:
            said = message(value) if callable(message) else message
            raise PydanticCustomError("invalid_choice", str(said))
        return value

    return Annotated[str, AfterValidator(check), Field(json_schema_extra={"enum": list(allowed)})]


# Python's whitespace (str.isspace()); NOT_BLANK, a character str.strip() keeps: a text that must not be blank has
# one. Written for both the document's regular expressions (ECMA 262) and pydantic's (Rust), whose `\s` are not
# Python's (U+001C-U+001F, U+0085; U+FEFF).
WHITESPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"[^{WHITESPACE}]"
