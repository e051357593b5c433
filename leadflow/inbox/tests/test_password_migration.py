"""Migration 0003 encrypts the IMAP passwords stored in plain text before it, and reversing it restores them."""

from __future__ import annotations

import pytest
from django.db import connection

from leadflow.inbox.models import Mailbox

BEFORE, AFTER = ("inbox", "0002_mailbox_team"), ("inbox", "0003_encrypted_password")
PASSWORDS = {"Sales": "s3cret-imap-password", "Support": "пароль с пробелами ✓", "Unused": ""}


def stored() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, password FROM inbox_mailbox")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_existing_passwords_are_encrypted_and_the_poller_reads_them_back(migrate_to) -> None:
    mailbox = migrate_to(BEFORE).get_model("inbox", "Mailbox")
    for name, password in PASSWORDS.items():
        mailbox.objects.create(name=name, host="imap.example.com", username=name.lower(), password=password)
    assert stored() == PASSWORDS

    migrate_to(AFTER)
    encrypted = stored()
    migrate_to()
    read_back = {m.name: m.password for m in Mailbox.objects.all()}

    assert encrypted["Unused"] == ""
    for name in ("Sales", "Support"):
        assert PASSWORDS[name] not in encrypted[name] and encrypted[name].startswith("gAAAAA")
    assert read_back == PASSWORDS


@pytest.mark.django_db(transaction=True)
def test_reversing_the_migration_stores_the_plain_passwords_again(migrate_to) -> None:
    for name, password in PASSWORDS.items():
        Mailbox.objects.create(name=name, host="imap.example.com", username=name.lower(), password=password)
    assert stored() != PASSWORDS

    migrate_to(BEFORE)
    reversed_rows = stored()
    migrate_to()  # encrypt once more: nothing is read back twice

    assert reversed_rows == PASSWORDS
    assert {m.name: m.password for m in Mailbox.objects.all()} == PASSWORDS
