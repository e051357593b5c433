"""Domain errors: services raise them, the API turns them into stable JSON codes.

The code is what a program reads; the message is for a person, in the language of the request (raised while it is
active)."""

from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A request that the domain refuses (409 by default): a stable code and a human message."""

    status = 409

    def __init__(self, code: str, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.fields = fields or {}


class InvalidInput(DomainError):
    """Input that names a field and the problem with it (422)."""

    status = 422

    def __init__(self, fields: dict[str, list[str]], message: str = ""):
        super().__init__("validation_error", message or _("Some fields are invalid."), fields=fields)


class NotFound(DomainError):
    """Missing, or not visible to the caller: the two are deliberately indistinguishable (404)."""

    status = 404

    def __init__(self, what: str = "object"):
        super().__init__("not_found", f"No such {what}.")


class Forbidden(DomainError):
    """Visible, but the caller's role may not do this (403)."""

    status = 403

    def __init__(self, message: str = ""):
        super().__init__("forbidden", message or _("You may not do this."))


class Unauthorized(DomainError):
    """No valid credentials (401)."""

    status = 401

    def __init__(self, message: str = ""):
        super().__init__("unauthorized", message or _("Authentication required."))
