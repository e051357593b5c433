"""Migration clients.0007 gives clients converted before it the contacts their lead held besides phone and e-mail."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadflow.leads.models import FieldChange, Request

BEFORE, AFTER = ("clients", "0006_contact_email_checked"), ("clients", "0007_contact_other_contacts")


@pytest.mark.django_db(transaction=True)
def test_a_client_converted_before_gets_its_leads_other_contacts_and_contacts_kept_as_given(make_lead) -> None:
    lead = make_lead(first_name="Иван", last_name="Иванов", phone="+79123456789", email="ivan@mail.ru")
    lead.other_contacts = ["+74951234567 ext. 12"]
    lead.save(update_fields=["other_contacts"])
    Request.objects.create(lead=lead, channel="partner", facts={
        "email": "ivan@mail.ru", "other_emails": ["i.ivanov@romashka.ru"],
        "unreadable": [{"field": "phone", "code": "unreadable", "value": "8-912-ЗВОНИТЬ", "problem": "too short"}]})
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    state = executor.loader.project_state([BEFORE]).apps
    contact = state.get_model("clients", "Contact").objects.create(full_name="Иванов Иван", phone="+79123456789",
                                                                    email="ivan@mail.ru")
    client = state.get_model("clients", "Client").objects.create(name="Иванов Иван", contact=contact,
                                                                  lead_id=lead.pk)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])

    contact_model = executor.loader.project_state([AFTER]).apps.get_model("clients", "Contact")
    carried = contact_model.objects.get(pk=contact.pk)
    assert carried.other_contacts == ["+74951234567 ext. 12", "i.ivanov@romashka.ru"]
    assert carried.unreadable_contacts == [{"field": "phone", "value": "8-912-ЗВОНИТЬ", "problem": "too short"}]
    assert set(FieldChange.objects.filter(client_id=client.pk).values_list("field", "new_value")) == {
        ("other_contacts", "+74951234567 ext. 12"), ("other_contacts", "i.ivanov@romashka.ru"),
        ("unreadable_contacts", "8-912-ЗВОНИТЬ")}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the schema as the other tests expect it
