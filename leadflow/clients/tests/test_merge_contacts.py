"""Merging duplicate contacts of the client directory, and undoing it."""

import pytest

from leadflow.clients.merging import merge_contacts, undo_contact_merge
from leadflow.clients.models import Client, Contact
from leadflow.core.errors import Forbidden
from leadflow.leads import services
from leadflow.matching import services as matching

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(alice, make_lead):
    first = services.convert_lead(lead=make_lead(owner=alice, first_name="Ivan", last_name="Petrov",
                                                 phone="+79160000001", email=""), by=alice)
    second = services.convert_lead(lead=make_lead(owner=alice, first_name="Иван", last_name="Петров",
                                                  phone="+79160000002", email="ivan@petrov.ru"), by=alice)
    return first, second


def test_merge_moves_clients_and_keys_and_undo_restores_them(alice, twins):
    first, second = twins
    merge = merge_contacts(survivor=first.contact, others=[second.contact], by=alice)
    survivor = Contact.objects.get(pk=first.contact_id)
    assert survivor.email == "ivan@petrov.ru" and survivor.phone == "+79160000001"
    assert Client.objects.get(pk=second.pk).contact_id == survivor.pk
    assert Contact.objects.get(pk=second.contact_id).merged_into_id == survivor.pk
    found = matching.find(matching.Facts(emails=["ivan@petrov.ru"], first_name="Иван", last_name="Петров"))
    assert [(c.card_type, c.card_id) for c in found if c.card_type == "contact"] == [("contact", survivor.pk)]

    undo_contact_merge(merge=merge, by=alice)
    assert Client.objects.get(pk=second.pk).contact_id == second.contact_id
    assert Contact.objects.get(pk=first.contact_id).email == ""
    assert Contact.objects.get(pk=second.contact_id).merged_into_id is None


def test_bob_cannot_merge_alices_contacts(bob, twins):
    first, second = twins
    with pytest.raises(Forbidden):
        merge_contacts(survivor=first.contact, others=[second.contact], by=bob)
    assert Client.objects.get(pk=second.pk).contact_id == second.contact_id


def test_contact_merge_and_undo_over_the_api(api_as, alice, bob, twins):
    first, second = twins
    body = {"survivor_id": first.contact_id, "other_ids": [second.contact_id], "choices": {"phone": second.contact_id}}
    assert api_as(bob).post("/api/contacts/merges", body, content_type="application/json").status_code == 404
    response = api_as(alice).post("/api/contacts/merges", body, content_type="application/json")
    assert response.status_code == 201
    assert Contact.objects.get(pk=first.contact_id).phone == "+79160000002"
    undone = api_as(alice).post(f"/api/contacts/merges/{response.json()['id']}/undo")
    assert undone.status_code == 200 and undone.json()["phone"] == "+79160000001"


def test_only_the_teams_head_merges_its_contacts_not_a_head_of_sales_merely_in_it(head, sales, twins):
    """The team's head is its Team.head (leads.querysets.headed_team_ids): a second head of sales in the team sees
    none of its clients, and merges none of its contacts either."""
    from leadflow.accounts.models import Role, User

    first, second = twins
    deputy = User.objects.create_user(username="dina", password="pw", role=Role.HEAD, team=sales)
    with pytest.raises(Forbidden):
        merge_contacts(survivor=first.contact, others=[second.contact], by=deputy)
    assert Client.objects.get(pk=second.pk).contact_id == second.contact_id

    merge_contacts(survivor=first.contact, others=[second.contact], by=head)
    assert Client.objects.get(pk=second.pk).contact_id == first.contact_id
