"""`leadflow encryption --rotate`: every stored secret encrypted again with the first key, across models."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from leadflow.inbox.models import Mailbox
from leadflow.telephony.models import Integration

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def column(table: str, name: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (the test's own names)
        return cursor.fetchone()[0]


def stored_secrets() -> dict[str, str]:
    """The columns as they are in the database, by a readable name."""
    return {
        **{f"mailbox {m.name}": column("inbox_mailbox", "password", m.pk) for m in Mailbox.objects.all()},
        **{f"integration {i.name}": column("telephony_integration", "secret", i.pk) for i in Integration.objects.all()},
    }


def test_rotation_moves_every_secret_to_the_new_key_so_the_old_one_can_go():
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[OLD]):
        Mailbox.objects.create(name="Sales", host="imap.example.com", username="sales", password="imap-1")
        Mailbox.objects.create(name="Support", host="imap.example.com", username="support", password="imap-2")
        Integration.objects.create(name="PBX", secret="pbx-secret")
    before = stored_secrets()

    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[NEW, OLD]):
        out = io.StringIO()
        call_command("encryption", "--rotate", stdout=out)

    after = stored_secrets()
    assert "3 secret(s) encrypted again with the first key." in out.getvalue()
    assert set(after) == set(before) and all(after[name] != before[name] for name in before)
    assert {name: Fernet(NEW).decrypt(token.encode()).decode() for name, token in after.items()} == {
        "mailbox Sales": "imap-1", "mailbox Support": "imap-2", "integration PBX": "pbx-secret"}
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[NEW]):  # the old key removed
        assert Mailbox.objects.get(name="Support").password == "imap-2"
        assert Integration.objects.get().secret == "pbx-secret"


def test_rotation_leaves_a_secret_no_key_opens_as_it_is_and_says_what_to_do():
    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[OLD]):
        Integration.objects.create(name="Lost", secret="lost-secret")
    Integration.objects.create(name="Fine", secret="fine-secret")
    lost_token = stored_secrets()["integration Lost"]
    out, err = io.StringIO(), io.StringIO()

    with override_settings(LEADFLOW_ENCRYPTION_KEYS=[NEW]):
        with pytest.raises(CommandError, match="1 secret"):
            call_command("encryption", "--rotate", stdout=out, stderr=err)
        assert Integration.objects.get(name="Fine").secret == "fine-secret"

    assert stored_secrets()["integration Lost"] == lost_token
    assert "The secret of telephony integration “Lost”" in err.getvalue()
    assert "Put the old key back in LEADFLOW_ENCRYPTION_KEYS" in err.getvalue()
    assert "1 secret(s) encrypted again" in out.getvalue()
    with pytest.raises(InvalidToken):
        Fernet(NEW).decrypt(lost_token.encode())


def test_the_check_reads_every_secret_and_changes_nothing():
    Integration.objects.create(name="PBX", secret="pbx-secret")
    Mailbox.objects.create(name="Sales", host="imap.example.com", username="sales", password="imap-1")
    before = stored_secrets()
    out = io.StringIO()

    call_command("encryption", stdout=out)

    assert "2 secret(s) can be decrypted." in out.getvalue() and stored_secrets() == before
