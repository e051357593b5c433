"""Migration 0003 encrypts the telephony secrets stored in plain text before it; reversing it restores them."""

from __future__ import annotations

import pytest
from django.db import connection

from leadflow.telephony.models import Integration

BEFORE, AFTER = ("telephony", "0002_calls_page_index"), ("telephony", "0003_encrypted_secret")
SECRETS = {"Zadarma": "zd-api-secret-3f9a", "Asterisk": "x" * 128}


def stored() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, secret FROM telephony_integration")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_existing_secrets_are_encrypted_and_reversing_restores_them(migrate_to) -> None:
    integration = migrate_to(BEFORE).get_model("telephony", "Integration")
    integration.objects.create(name="Zadarma", provider="zadarma", secret=SECRETS["Zadarma"])
    integration.objects.create(name="Asterisk", provider="generic", secret=SECRETS["Asterisk"])

    migrate_to(AFTER)
    encrypted = stored()
    read_back = {i.name: i.secret for i in Integration.objects.all()}
    migrate_to(BEFORE)
    reversed_rows = stored()
    migrate_to()

    assert all(SECRETS[name] not in token and token.startswith("gAAAAA") for name, token in encrypted.items())
    assert read_back == SECRETS and reversed_rows == SECRETS
    assert {i.name: i.secret for i in Integration.objects.all()} == SECRETS
