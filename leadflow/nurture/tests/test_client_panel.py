"""The client card's marketing panel: tags, sequences, e-mails and behaviour; who may see it; escaping."""

from __future__ import annotations

import pytest

from leadflow.leads import services as leads
from leadflow.nurture import services
from leadflow.nurture.models import EnrollmentState, Sequence, Tag
from leadflow.privacy.models import Purpose
from leadflow.privacy.services import record_consent
from leadflow.warming.models import EventKind
from leadflow.warming.services import record_behaviour

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def client_of_alice(make_lead, alice):
    lead = make_lead(owner=alice)
    # What the person did as a lead (their visitor), from a public page: stays part of their story.
    record_behaviour(EventKind.PAGE_VIEW, lead=lead, url="https://shop.example/pricing?q=%3Cb%3E",
                     properties={"title": HOSTILE})
    client = leads.convert_lead(lead=lead, by=alice)
    record_behaviour(EventKind.PURCHASE, client=client, properties={"product": "Tractor <b>T-40</b>"})
    services.add_tag(name="wholesale", client=client)
    services.enroll(sequence=Sequence.objects.create(name="After the purchase", trigger="manual",
                                                     audience="clients"), client=client)
    return client


def test_the_owner_sees_tags_sequences_and_behaviour_escaped(client_of_alice, as_user, alice):
    page = as_user(alice)
    card = page.get(f"/clients/{client_of_alice.pk}/").content.decode()
    assert f"/marketing/cards/client/{client_of_alice.pk}/" in card
    panel = page.get(f"/marketing/cards/client/{client_of_alice.pk}/").content.decode()
    assert "wholesale" in panel
    assert "After the purchase" in panel and 'data-testid="stop-enrollment"' in panel
    assert "Purchase" in panel and "Page view" in panel
    assert HOSTILE not in panel and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in panel
    assert "<b>T-40</b>" not in panel and "&lt;b&gt;T-40&lt;/b&gt;" in panel


def test_consents_per_purpose_with_history_and_withdrawal_are_on_the_client_card(client_of_alice, as_user, alice):
    from django.urls import reverse

    record_consent(purpose=Purpose.MARKETING, client=client_of_alice, text_version="v2", channel="web form")
    page = as_user(alice)
    card = page.get(f"/clients/{client_of_alice.pk}/").content.decode()
    assert "<strong>Marketing e-mail</strong>: given" in card and "text version v2" in card
    assert f'name="client" value="{client_of_alice.pk}"' in card and 'name="purpose" value="marketing"' in card
    page.post(reverse("privacy_withdraw"), {"client": client_of_alice.pk, "purpose": "marketing"})
    card = page.get(f"/clients/{client_of_alice.pk}/").content.decode()
    assert card.count('data-testid="consent-row"') == 2 and "withdrawn" in card
    assert 'name="purpose" value="marketing"' not in card


def test_a_manager_who_cannot_see_the_client_gets_nothing(client_of_alice, as_user, bob, carol):
    url = f"/marketing/cards/client/{client_of_alice.pk}/"
    for outsider in (bob, carol):
        page = as_user(outsider)
        assert page.get(f"/clients/{client_of_alice.pk}/").status_code == 404
        assert page.get(url).status_code == 404
        assert page.post(url, {"tag": "stolen"}).status_code == 404
        wholesale = Tag.objects.get(name="wholesale")
        assert page.post(url, {"remove": wholesale.pk}).status_code == 404
    assert list(client_of_alice.tags.values_list("name", flat=True)) == ["wholesale"]
    assert not Tag.objects.filter(name="stolen").exists()
    enrollment = client_of_alice.enrollments.get()
    assert as_user(bob).post(f"/marketing/enrollments/{enrollment.pk}/stop/", {"next": "/"}).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE


def test_the_head_and_the_marketer_see_it(client_of_alice, as_user, head, mary):
    for user in (head, mary):
        response = as_user(user).get(f"/marketing/cards/client/{client_of_alice.pk}/")
        assert response.status_code == 200 and "wholesale" in response.content.decode()


def test_the_owner_tags_untags_and_stops_a_sequence(client_of_alice, as_user, alice):
    page = as_user(alice)
    url = f"/marketing/cards/client/{client_of_alice.pk}/"
    response = page.post(url, {"tag": "  <i>vip</i>  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "&lt;i&gt;vip&lt;/i&gt;" in response.content.decode()
    assert sorted(client_of_alice.tags.values_list("name", flat=True)) == ["<i>vip</i>", "wholesale"]
    response = page.post(url, {"remove": Tag.objects.get(name="wholesale").pk})
    assert response.status_code == 302 and response["Location"] == f"/clients/{client_of_alice.pk}/"
    assert list(client_of_alice.tags.values_list("name", flat=True)) == ["<i>vip</i>"]
    empty = page.post(url, {"tag": "   "}, HTTP_HX_REQUEST="true").content.decode()
    assert "A tag needs a name." in empty
    enrollment = client_of_alice.enrollments.get()
    response = page.post(f"/marketing/enrollments/{enrollment.pk}/stop/", {"next": f"/clients/{client_of_alice.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/clients/{client_of_alice.pk}/"
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "manual")


def test_a_client_shows_no_points_of_its_own(client_of_alice, as_user, alice):
    panel = as_user(alice).get(f"/marketing/cards/client/{client_of_alice.pk}/").content.decode()
    assert 'data-testid="points-now"' not in panel and 'data-testid="temperature"' not in panel


def test_the_head_stops_a_clients_sequence_from_the_card_and_over_the_api(client_of_alice, as_user, api_as, head,
                                                                            bob):
    """The head saw the client's panel with its stop button, and pressing it answered 404 (only the owner and the
    admin could); the API likewise."""
    enrollment = client_of_alice.enrollments.get()
    assert api_as(bob).post(f"/api/enrollments/{enrollment.pk}/stop").status_code == 404  # not his client
    response = as_user(head).post(f"/marketing/enrollments/{enrollment.pk}/stop/",
                                  {"next": f"/clients/{client_of_alice.pk}/"})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "manual")

    again = services.enroll(sequence=Sequence.objects.create(name="Winter offer", trigger="manual",
                                                             audience="clients"), client=client_of_alice)
    assert api_as(head).post(f"/api/enrollments/{again.pk}/stop").json() == {"stopped": True}
