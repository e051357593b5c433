"""Secrets Leadflow must read back (IMAP passwords, telephony keys), stored encrypted with Fernet.

The column holds a Fernet token (AES-128-CBC with an HMAC-SHA256, from the `cryptography` library); the model
attribute holds the plain text. Keys come from LEADFLOW_ENCRYPTION_KEYS (comma-separated Fernet keys: the first
encrypts, every one decrypts, so a key can be rotated), followed by a key derived from the secret key, which is
the only key when none is configured and lets `leadflow encryption --rotate` move values to a configured key.

A stored value no key opens (the key was lost or changed) never breaks a page or the worker: the row loads, the
token is kept as it is (saving the row writes it back unchanged), and only reading the secret raises
SecretUnreadable, whose message names the field and what to do.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast
from django.db.models.query_utils import DeferredAttribute
from django.utils import translation
from django.utils.datastructures import DictWrapper
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

SETTING = "LEADFLOW_ENCRYPTION_KEYS"
FERNET_PREFIX = "gAAAAA"  # every Fernet token: version byte 0x80 and a 64-bit time stamp, in url-safe base64


def derived_key(secret_key: str) -> bytes:
    """The Fernet key used when none is configured: HKDF-SHA256 of Django's secret key (a per-installation value)."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"leadflow", info=b"leadflow stored secrets v1")
    return base64.urlsafe_b64encode(material.derive(secret_key.encode()))


@functools.lru_cache(maxsize=8)
def _keys(configured: tuple[str, ...], secret_keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(configured, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{SETTING}: key {position} of {len(configured)} is not a Fernet key (32 url-safe base64-encoded "
                "bytes, 44 characters). Make one with `leadflow encryption --new-key`."
            ) from error
    # The secret key's derived keys come last: they only decrypt (unless nothing is configured), so values
    # encrypted before LEADFLOW_ENCRYPTION_KEYS was set stay readable until `leadflow encryption --rotate`.
    fernets += [Fernet(derived_key(secret)) for secret in secret_keys if secret]
    return MultiFernet(fernets)


def keys() -> MultiFernet:
    """The configured keys (first one encrypts), built once per distinct configuration."""
    configured = tuple(key.strip() for key in getattr(settings, SETTING, ()) if key.strip())
    return _keys(configured, (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def encrypt(plain: str) -> str:
    return keys().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text; raises cryptography's InvalidToken when no configured key opens the token."""
    return keys().decrypt(token.encode("ascii", errors="replace")).decode()


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def token_length(max_chars: int) -> int:
    """Length of the Fernet token of the longest value: up to 4 bytes a character in UTF-8, padded to AES blocks,
    plus version, time stamp, IV and HMAC (57 bytes), in base64."""
    encrypted = (max_chars * 4 // 16 + 1) * 16
    return -(-(57 + encrypted) // 3) * 4


class SecretUnreadable(Exception):
    """A stored secret that no configured key decrypts: the key it was encrypted with is gone."""

    def __init__(self, *, instance: models.Model, field: models.Field) -> None:
        self.instance, self.field = instance, field
        with translation.override("en"):  # for the log and the terminal, in one language whatever is active
            name, what = str(field.verbose_name), f"{instance._meta.verbose_name} “{instance}” (#{instance.pk})"
        super().__init__(
            f"The {name} of {what} cannot be decrypted with the configured keys: the encryption key "
            f"changed since it was saved. Put the old key back in {SETTING} (after the current one) and run "
            f"`leadflow encryption --rotate`, or enter the {name} again in the admin."
        )


class Unreadable:
    """What an encrypted field holds after loading a token no key opens: the token, kept to be written back."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "<unreadable secret>"

    __str__ = __repr__


class _SecretAttribute(DeferredAttribute):
    # A data descriptor (it has __set__), so reading the attribute always passes through __get__, even when the
    # value is already in the instance's __dict__.
    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if isinstance(value, Unreadable):
            raise SecretUnreadable(instance=instance, field=self.field)
        return value


WRITE_ONLY_HELP = _("Stored encrypted and never shown again; leave empty to keep the current value.")
GENERATED_HELP = _("Generated for you: copy it now (it is not shown again after saving), or replace it with your own.")
UNREADABLE_HELP = _(
    "The stored value cannot be decrypted with the configured keys (LEADFLOW_ENCRYPTION_KEYS changed since it "
    "was saved): enter it again, or put the old key back and run `leadflow encryption --rotate`."
)


class SecretFormField(forms.CharField):
    """A write-only input: the stored value is never sent to the browser, an empty input keeps it."""

    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})

    def __init__(self, **kwargs: Any) -> None:
        # Whatever widget is asked for (the admin asks for a text input for every CharField), a password input.
        kwargs.pop("widget", None)
        kwargs.update(required=False, show_hidden_initial=False)
        super().__init__(**kwargs)


class EncryptedCharField(models.CharField):
    """A CharField stored as a Fernet token. `max_length` counts the plain characters; the column is sized for
    the token of the longest value."""

    descriptor_class = _SecretAttribute

    def db_type_parameters(self, connection: Any) -> DictWrapper:
        return DictWrapper({**self.__dict__, "max_length": token_length(self.max_length or 0)},
                           connection.ops.quote_name, "qn_")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            return Unreadable(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Unreadable):
            return value
        value = super().to_python(value)
        if isinstance(value, str) and value.startswith(FERNET_PREFIX):
            # A token, as `dumpdata` writes it (value_to_string): loaddata gets the secret back, or keeps the
            # token as unreadable when these keys do not open it. (A plain secret never looks like a token: it
            # would have to be one our keys open.)
            try:
                return decrypt(value)
            except InvalidToken:
                return Unreadable(value)
        return value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, Unreadable):
            return value.token
        value = super().get_db_prep_value(value, connection, prepared)
        return encrypt(value) if value else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        # Past the descriptor: saving a row whose secret is unreadable keeps its token, never loses it.
        return self.value_from_object(model_instance)

    def value_from_object(self, obj: models.Model) -> Any:
        if self.attname in obj.__dict__:
            return obj.__dict__[self.attname]
        return super().value_from_object(obj)

    def value_to_string(self, obj: models.Model) -> str:
        # What serializers (`dumpdata`) write: the token, never the secret, so a fixture or a copy of the data
        # does not give IMAP passwords away; loading it on an installation with the same keys reads them.
        value = self.value_from_object(obj)
        if isinstance(value, Unreadable):
            return value.token
        return encrypt(str(value)) if value else ""

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        # Write-only in forms: an empty input keeps the stored value (or the generated default of a new row).
        if data:
            super().save_form_data(instance, data)

    def formfield(self, **kwargs: Any) -> Any:
        help_text = format_lazy("{} {}", self.help_text, WRITE_ONLY_HELP) if self.help_text else WRITE_ONLY_HELP
        return super().formfield(**{"form_class": SecretFormField, "help_text": help_text, **kwargs})


def is_unreadable(instance: models.Model, name: str) -> bool:
    field = instance._meta.get_field(name)
    return isinstance(field.value_from_object(instance), Unreadable)  # type: ignore[union-attr]


class SecretFieldsForm(forms.ModelForm):
    """A model form for models with encrypted fields (the admin's `form`): a new row's generated secret is shown
    to be copied, a stored one never; an empty input keeps it; a new row without a default must have it; an
    unreadable stored value is explained on its input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adding = self.instance._state.adding
        for secret in encrypted_fields_of(self._meta.model):
            form_field = self.fields.get(secret.name)
            if form_field is None:
                continue
            if adding and secret.has_default():
                # Not stored yet: the generated value is what the other side (a PBX) must be given.
                form_field.widget = forms.TextInput(attrs={"autocomplete": "off", "size": 60})
                form_field.help_text = (format_lazy("{} {}", secret.help_text, GENERATED_HELP) if secret.help_text
                                         else GENERATED_HELP)
                continue
            self.initial.pop(secret.name, None)
            form_field.initial = None
            if not adding and is_unreadable(self.instance, secret.name):
                form_field.help_text = UNREADABLE_HELP

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance._state.adding:
            for secret in encrypted_fields_of(self._meta.model):
                if (secret.name in self.fields and not cleaned.get(secret.name) and secret.name not in self._errors
                        and not secret.has_default() and not secret.blank):
                    self.add_error(secret.name, forms.ValidationError(
                        _("Enter the %(field)s: it is needed to connect."), code="required",
                        params={"field": secret.verbose_name}))
        return cleaned


def encrypted_fields_of(model: type[models.Model]) -> list[EncryptedCharField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedCharField]]]:
    """Every installed model with encrypted fields, and those fields."""
    found = [(model, encrypted_fields_of(model)) for model in apps.get_models()]
    return [(model, fields) for model, fields in found if fields]


@dataclass
class RotationReport:
    rewritten: int = 0
    unreadable: list[str] = field(default_factory=list)


def rotate_secrets(*, dry_run: bool = False) -> RotationReport:
    """Encrypt every stored secret again with the first key. Values no key opens are left as they are and
    listed (put the old key back and run this again, or enter them in the admin)."""
    report = RotationReport()
    for model, fields in encrypted_fields():
        with transaction.atomic():
            for row in model._default_manager.select_for_update().only("pk", *[f.name for f in fields]):
                changes: dict[str, Any] = {}
                for secret_field in fields:
                    value = secret_field.value_from_object(row)
                    if isinstance(value, Unreadable):
                        report.unreadable.append(str(SecretUnreadable(instance=row, field=secret_field)))
                    elif value:
                        changes[secret_field.name] = value
                if changes and not dry_run:
                    model._default_manager.filter(pk=row.pk).update(**changes)
                report.rewritten += len(changes)
    return report


# ------------------------------------------------------------------ data migrations


def encrypt_plain_values(model: type[models.Model], *names: str) -> None:
    """For a migration that made these fields encrypted: encrypt the plain values stored before."""
    for name in names:
        stored = model._default_manager.annotate(stored=Cast(name, models.TextField())).values_list("pk", "stored")
        for pk, value in list(stored):
            if not value or _opens(value):
                continue
            model._default_manager.filter(pk=pk).update(**{name: value})  # the field encrypts it


def decrypt_to_plain_values(model: type[models.Model], *names: str) -> None:
    """The reverse: store the plain values again (needs the key they were encrypted with)."""
    for name in names:
        stored = model._default_manager.annotate(stored=Cast(name, models.TextField())).values_list("pk", "stored")
        for pk, value in list(stored):
            if not value:
                continue
            try:
                plain = decrypt(value)
            except InvalidToken:
                raise RuntimeError(
                    f"{model._meta.label} #{pk}: its {name} cannot be decrypted with the configured keys, so it "
                    f"cannot be stored as plain text again. Put the key it was encrypted with in {SETTING}."
                ) from None
            model._default_manager.filter(pk=pk).update(**{name: models.Value(plain, models.TextField())})


def _opens(token: str) -> bool:
    try:
        decrypt(token)
    except InvalidToken:
        return False
    return True


@checks.register(checks.Tags.security)
def check_keys(**kwargs: Any) -> list[checks.CheckMessage]:
    """A malformed key is reported when any command starts, not at the first secret read."""
    try:
        keys()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="leadflow.E001")]
    return []
