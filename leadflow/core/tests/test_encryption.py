"""Keys for stored secrets: the derived default, configured keys (first encrypts, all decrypt), bad keys."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings

from leadflow.core import encryption

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_of_any_text_and_the_token_hides_it():
    plain = "пароль: Zx9!€ 𝄞"

    token = encryption.encrypt(plain)

    assert encryption.decrypt(token) == plain and plain not in token and token.startswith("gAAAAA")
    assert encryption.encrypt(plain) != token  # a fresh IV each time: equal secrets do not look equal


def test_default_key_is_derived_from_the_secret_key_and_changes_with_it():
    token = encryption.encrypt("imap-password")

    with override_settings(SECRET_KEY="another installation's secret key"):
        with pytest.raises(InvalidToken):
            encryption.decrypt(token)
    assert Fernet(encryption.derived_key(settings.SECRET_KEY)).decrypt(token.encode()) == b"imap-password"


def test_the_first_configured_key_encrypts_and_every_key_decrypts():
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[OLD]):
        under_old = encryption.encrypt("secret-1")
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[NEW, OLD]):
        under_new = encryption.encrypt("secret-2")
        assert (encryption.decrypt(under_old), encryption.decrypt(under_new)) == ("secret-1", "secret-2")

    assert Fernet(NEW).decrypt(under_new.encode()) == b"secret-2"
    with pytest.raises(InvalidToken):
        Fernet(OLD).decrypt(under_new.encode())


def test_values_under_the_derived_key_stay_readable_once_a_key_is_configured():
    before = encryption.encrypt("set up before the key was configured")

    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[NEW]):
        assert encryption.decrypt(before) == "set up before the key was configured"
        assert Fernet(NEW).decrypt(encryption.encrypt("x").encode()) == b"x"


@pytest.mark.parametrize("max_chars", [1, 15, 16, 128, 255])
def test_the_column_fits_the_token_of_the_longest_value(max_chars):
    widest = "𝄞" * max_chars  # 4 bytes a character in UTF-8: the longest token for this many characters

    assert len(encryption.encrypt(widest)) == encryption.token_length(max_chars)
    assert len(encryption.encrypt("a" * max_chars)) <= encryption.token_length(max_chars)


def test_a_malformed_key_is_a_configuration_error_naming_the_setting_and_the_key():
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[NEW, "correct horse battery staple"]):
        with pytest.raises(ImproperlyConfigured, match=r"LEADFLOW_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key"):
            encryption.encrypt("x")
        errors = encryption.check_keys()

    assert [error.id for error in errors] == ["leadflow.E001"]
    assert "leadflow encryption --new-key" in errors[0].msg
    assert encryption.check_keys() == []


def test_new_key_command_prints_a_key_that_works():
    out = io.StringIO()

    call_command("encryption", "--new-key", stdout=out)

    key = out.getvalue().strip()
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[key]):
        assert encryption.decrypt(encryption.encrypt("x")) == "x"
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"y")) == b"y"


def test_after_a_secret_key_change_its_fallback_still_opens_the_old_values():
    with override_settings(SECRET_KEY="the key before"):
        token = encryption.encrypt("kept")

    with override_settings(SECRET_KEY="the key after", SECRET_KEY_FALLBACKS=["the key before"]):
        assert encryption.decrypt(token) == "kept"


def test_a_new_key_can_be_made_while_the_configured_one_is_wrong():
    out = io.StringIO()

    with override_settings(LEADFLOW_ENCRYPTION_KEYS=["not-a-key"]):
        call_command("encryption", "--new-key", stdout=out)
        with pytest.raises(CommandError, match="key 1 of 1 is not a Fernet key"):
            call_command("encryption")

    assert len(out.getvalue().strip()) == 44


@pytest.mark.django_db
def test_dumpdata_writes_the_token_not_the_secret_and_loaddata_reads_it_back(tmp_path):
    import json

    from leadflow.telephony.models import Integration

    Integration.objects.create(name="PBX", secret="pbx-signing-key-Ж")
    out = io.StringIO()
    call_command("dumpdata", "telephony.integration", stdout=out)
    dumped = out.getvalue()
    assert "pbx-signing-key" not in dumped  # a fixture or a copy of the data gives no secret away
    token = json.loads(dumped)[0]["fields"]["secret"]
    assert encryption.decrypt(token) == "pbx-signing-key-Ж"

    Integration.objects.all().delete()
    fixture = tmp_path / "pbx.json"
    fixture.write_text(dumped)
    call_command("loaddata", str(fixture), verbosity=0)
    assert Integration.objects.get().secret == "pbx-signing-key-Ж"  # not encrypted twice

    Integration.objects.all().delete()
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[NEW], SECRET_KEY="another installation " * 3):
        # Keys that do not open it: the load stops, naming the secret and what to do, and loads nothing.
        with pytest.raises(encryption.SecretUnreadable, match="The secret of telephony integration “PBX”"):
            call_command("loaddata", str(fixture), verbosity=0)
    assert not Integration.objects.exists()
