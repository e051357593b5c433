"""A slip in a client contact's e-mail domain is suggested on the client card and fixed with one audited click."""

import pytest
from django.test import Client as HttpClient

from leadflow.clients.models import Contact
from leadflow.leads import services
from leadflow.leads.models import FieldChange
from leadflow.matching import services as matching
from leadflow.matching.models import CardType
from leadflow.matching.record import canonical_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def converted(make_lead, alice):
    """Alice's client, converted from a lead whose e-mail was typed with a slip in the domain."""
    lead = make_lead(owner=alice, email="anna.petrova@gmail.con", first_name="Анна", last_name="Петрова")
    return services.convert_lead(lead=lead, by=alice)


def _page(user, client_row) -> str:
    http = HttpClient()
    http.force_login(user)
    return http.get(f"/clients/{client_row.pk}/").content.decode()


def test_the_client_card_suggests_the_address_and_one_click_takes_it(converted, alice):
    contact = converted.contact
    page = _page(alice, converted)
    assert "Did you mean anna.petrova@gmail.com?" in page and 'data-testid="accept-email"' in page

    http = HttpClient()
    http.force_login(alice)
    response = http.post(f"/clients/{converted.pk}/contacts/{contact.pk}/accept-email/")
    assert response.status_code == 302 and response["Location"] == f"/clients/{converted.pk}/"
    contact.refresh_from_db()
    assert contact.email == "anna.petrova@gmail.com"
    change = FieldChange.objects.get(client=converted)
    assert (change.field, change.old_value, change.new_value, change.changed_by) == (
        "email", "anna.petrova@gmail.con", "anna.petrova@gmail.com", alice)
    page = _page(alice, converted)
    assert "Did you mean" not in page and 'data-testid="client-history"' in page
    # both addresses find the contact: the next message from the typo address still lands on this client
    for email in ("anna.petrova@gmail.con", "anna.petrova@gmail.com"):
        assert contact.pk in matching.cards_with_keys(matching.Facts(emails=[canonical_email(email)]),
                                                  card_type=CardType.CONTACT)


def test_someone_who_does_not_work_the_client_cannot_take_it(converted, bob, carol):
    contact = converted.contact
    for user in (bob, carol):
        http = HttpClient()
        http.force_login(user)
        assert http.post(f"/clients/{converted.pk}/contacts/{contact.pk}/accept-email/").status_code == 404
    assert Contact.objects.get(pk=contact.pk).email == "anna.petrova@gmail.con"
    assert not FieldChange.objects.filter(client=converted).exists()


def test_the_head_of_the_team_may_take_it(converted, head):
    contact = converted.contact
    http = HttpClient()
    http.force_login(head)
    http.post(f"/clients/{converted.pk}/contacts/{contact.pk}/accept-email/")
    assert Contact.objects.get(pk=contact.pk).email == "anna.petrova@gmail.com"


def test_a_contact_of_another_client_cannot_be_changed_through_this_one(converted, make_lead, alice):
    other = services.convert_lead(lead=make_lead(owner=alice, email="oleg@mail.ry"), by=alice)
    http = HttpClient()
    http.force_login(alice)
    assert http.post(f"/clients/{converted.pk}/contacts/{other.contact.pk}/accept-email/").status_code == 404
    assert Contact.objects.get(pk=other.contact.pk).email == "oleg@mail.ry"


def test_a_right_address_has_nothing_to_accept(make_lead, alice):
    client_row = services.convert_lead(lead=make_lead(owner=alice, email="anna@gmail.com"), by=alice)
    assert "Did you mean" not in _page(alice, client_row)
    http = HttpClient()
    http.force_login(alice)
    response = http.post(f"/clients/{client_row.pk}/contacts/{client_row.contact.pk}/accept-email/", follow=True)
    assert "There is no suggested e-mail address to accept." in response.content.decode()
    assert Contact.objects.get(pk=client_row.contact.pk).email == "anna@gmail.com"
    assert not FieldChange.objects.filter(client=client_row).exists()
