"""Migration 0003 encrypts the telephony secrets stored in plain text before it; reversing it restores them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadflow.telephony.models import Integration

BEFORE, AFTER = ("telephony", "0002_calls_page_index"), ("telephony", "0003_encrypted_secret")
SECRETS = {"Zadarma": "zd-api-secret-3f9a", "Asterisk": "x" * 128}


def stored() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, secret FROM telephony_integration")
        return dict(cursor.fetchall())


def migrate(target: tuple[str, str] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_secrets_are_encrypted_and_reversing_restores_them() -> None:
    executor = migrate(BEFORE)
    integration = executor.loader.project_state([BEFORE]).apps.get_model("telephony", "Integration")
    integration.objects.create(name="Zadarma", provider="zadarma", secret=SECRETS["Zadarma"])
    integration.objects.create(name="Asterisk", provider="generic", secret=SECRETS["Asterisk"])

    migrate(AFTER)
    encrypted = stored()
    read_back = {i.name: i.secret for i in Integration.objects.all()}
    migrate(BEFORE)
    reversed_rows = stored()
    migrate()  # leave the schema as the other tests expect it

    assert all(SECRETS[name] not in token and token.startswith("gAAAAA") for name, token in encrypted.items())
    assert read_back == SECRETS and reversed_rows == SECRETS
    assert {i.name: i.secret for i in Integration.objects.all()} == SECRETS
