"""Merging leads moves their marketing data to the survivor: behaviour events and points (rebuilt with the fading
arithmetic), temperature through set_temperature, tags, sequences, consents, predictions, calls and e-mails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from leadflow.events.models import OutboxEvent
from leadflow.inbox.models import IncomingEmail
from leadflow.leads.merging import merge_leads, undo_merge
from leadflow.leads.models import Activity, Lead
from leadflow.nurture import services as nurture
from leadflow.nurture.models import Enrollment, MailMessage, Sequence, Tag
from leadflow.privacy.models import Consent, Purpose
from leadflow.privacy.services import consent_history, current_consents, has_consent, record_consent
from leadflow.scoring.models import Prediction, ScoringModel
from leadflow.telephony.models import Call, Integration
from leadflow.warming import services
from leadflow.warming.models import BehaviourEvent, FitRule, LeadScore, ScoreEntry, Visitor

pytestmark = pytest.mark.django_db
HANDED = "Hot: handed from marketing to sales"


def faded(points: float, days: float, half_life: float = 10) -> float:
    return points * 0.5 ** (days / half_life)


def _rows_pointing_at(lead_id: int) -> dict[str, int]:
    """Every row of any Leadflow table whose foreign key names the lead (except the merge's own link)."""
    found = {}
    for model in apps.get_models():
        if not model.__module__.startswith("leadflow."):
            continue
        for field in model._meta.get_fields():
            if getattr(field, "related_model", None) is not Lead or not getattr(field, "concrete", False):
                continue
            if (model, field.name) in {(Lead, "merged_into")}:
                continue
            if field.many_to_many:
                count = field.remote_field.through.objects.filter(lead_id=lead_id).count()
            else:
                count = model.objects.filter(**{f"{field.attname}": lead_id}).count()
            if count:
                found[f"{model.__name__}.{field.name}"] = count
    return found


@pytest.fixture
def two_cards(make_lead, alice, bob, policy, make_rule):
    """Two cards of one person, each with events, points, a fit rule, tags, consents, sequences and mail."""
    make_rule("page_view", 3)
    make_rule("add_to_cart", 10)
    FitRule.objects.create(name="Directors", attribute="position", values="director", points=7)
    now = timezone.now()
    survivor = make_lead(owner=alice, position="Director", first_name="Анна", last_name="Смирнова")
    other = make_lead(owner=bob, position="Sales director", first_name="Anna", last_name="Smirnova")
    for lead in (survivor, other):
        services.evaluate_fit(lead=lead)
    services.record_behaviour("page_view", lead=survivor, occurred_at=now - timedelta(days=5))
    services.record_behaviour("add_to_cart", lead=other, occurred_at=now - timedelta(days=10))
    services.record_behaviour("add_to_cart", lead=other, occurred_at=now - timedelta(days=20))
    services.record_behaviour("page_view", lead=other, occurred_at=now - timedelta(days=1))
    services.record_behaviour("page_view", visitor_id="v-other")  # anonymous, then the visitor is the other card
    services.join_visitor(visitor_id="v-other", lead=other)

    nurture.add_tag(name="b2b", lead=survivor)
    nurture.add_tag(name="b2b", lead=other)
    nurture.add_tag(name="webinar", lead=other)

    record_consent(purpose=Purpose.PROCESSING, lead=survivor, at=now - timedelta(days=30), channel="form:a")
    record_consent(purpose=Purpose.MARKETING, lead=survivor, at=now - timedelta(days=6), channel="form:a")
    record_consent(purpose=Purpose.MARKETING, lead=other, at=now - timedelta(days=9), channel="form:b")
    record_consent(purpose=Purpose.MARKETING, given=False, lead=other, at=now - timedelta(days=2),
                   channel="unsubscribe")
    record_consent(purpose=Purpose.PARTNERS, lead=other, at=now - timedelta(days=9), channel="partner:x")

    only_other = Sequence.objects.create(name="Welcome")
    both = Sequence.objects.create(name="Cart reminder")
    done = Sequence.objects.create(name="Webinar follow-up")
    soon = now + timedelta(hours=3)
    enrollments = {
        "only_other": Enrollment.objects.create(sequence=only_other, lead=other, step_index=2, next_run_at=soon),
        "survivor_behind": Enrollment.objects.create(sequence=both, lead=survivor, step_index=1, next_run_at=soon),
        "other_ahead": Enrollment.objects.create(sequence=both, lead=other, step_index=3, next_run_at=soon),
        "survivor_done": Enrollment.objects.create(sequence=done, lead=survivor, step_index=4, state="finished",
                                                   ended_at=now - timedelta(days=1)),
        "other_again": Enrollment.objects.create(sequence=done, lead=other, step_index=1, next_run_at=soon),
    }
    mail = MailMessage.objects.create(enrollment=enrollments["other_ahead"], lead=other, to_email=other.email,
                                      domain="example.ru", subject="Your cart", message_id="<m1@leadflow>")
    model = ScoringModel.objects.create(status="trained")
    Prediction.objects.create(lead=other, model=model, probability=0.4)
    call = Call.objects.create(integration=Integration.objects.create(name="PBX", secret="s"), provider_call_id="c1",
                               caller=other.phone, lead=other)
    email = IncomingEmail.objects.create(key="k1", raw=b"x", via="smtp", lead=other)
    return {"survivor": survivor, "other": other, "now": now, "enrollments": enrollments, "mail": mail,
            "call": call, "email": email}


def test_the_survivor_gets_every_marketing_row_and_nothing_points_at_the_merged_lead(two_cards, head):
    survivor, other = two_cards["survivor"], two_cards["other"]
    other_events = set(BehaviourEvent.objects.filter(lead=other).values_list("pk", flat=True))
    other_entries = set(ScoreEntry.objects.filter(lead=other).values_list("pk", flat=True))
    assert len(other_events) == 4 and len(other_entries) == 5  # 4 actions, 1 fit rule

    merge_leads(survivor=survivor, others=[other], by=head)

    assert _rows_pointing_at(other.pk) == {}
    assert other_events <= set(BehaviourEvent.objects.filter(lead=survivor).values_list("pk", flat=True))
    assert other_entries <= set(ScoreEntry.objects.filter(lead=survivor).values_list("pk", flat=True))
    assert Visitor.objects.get(visitor_id="v-other").lead_id == survivor.pk
    assert services.lead_of_visitor("v-other") == survivor
    assert set(Tag.objects.filter(leads=survivor).values_list("name", flat=True)) == {"b2b", "webinar"}
    assert not LeadScore.objects.filter(lead_id=other.pk).exists()
    assert not Prediction.objects.filter(lead_id=other.pk).exists()
    for row in (two_cards["mail"], two_cards["call"], two_cards["email"]):
        row.refresh_from_db()
        assert row.lead_id == survivor.pk


def test_the_points_are_the_whole_history_faded_and_the_fit_rule_counts_once(two_cards, head):
    survivor, other = two_cards["survivor"], two_cards["other"]
    merge_leads(survivor=survivor, others=[other], by=head)

    score = LeadScore.objects.get(lead=survivor)
    now = timezone.now()
    days = {"survivor_view": 5, "cart_10": 10, "cart_20": 20, "view_1": 1}
    behaviour = (faded(3, days["survivor_view"]) + faded(10, days["cart_10"]) + faded(10, days["cart_20"])
                 + faded(3, days["view_1"]) + 3)  # + the anonymous page view that joined (just now)
    assert behaviour == pytest.approx(3 * 0.5 ** 0.5 + 5 + 2.5 + 3 * 0.5 ** 0.1 + 3)
    assert score.fit_points == 7  # "Directors" once, though both cards had it
    assert services.points_now(score, now=now) == pytest.approx(7 + behaviour, rel=1e-4)
    # ≈ 21.3: warm (15..35), and the card says so; it cools when the fading part drops below 15 - 7
    survivor.refresh_from_db()
    assert survivor.temperature == "warm"
    assert score.cools_at == services.cooling_moment(score, temperature="warm")
    assert score.cools_at > now


def test_sequences_go_on_once_per_person_without_repeating_a_mail(two_cards, head):
    survivor, other = two_cards["survivor"], two_cards["other"]
    enrollments = two_cards["enrollments"]
    merge_leads(survivor=survivor, others=[other], by=head)

    state = {name: Enrollment.objects.get(pk=e.pk) for name, e in enrollments.items()}
    assert all(e.lead_id == survivor.pk for e in state.values())
    # The other card's only run goes on where it was
    assert (state["only_other"].state, state["only_other"].step_index) == ("active", 2)
    # Both ran the cart reminder: the one further along goes on, so steps 2 and 3 are not mailed again
    assert (state["other_ahead"].state, state["other_ahead"].step_index) == ("active", 3)
    assert (state["survivor_behind"].state, state["survivor_behind"].stop_reason) == ("stopped", "merged")
    assert state["survivor_behind"].next_run_at is None
    # The survivor already went through the webinar follow-up: the other card's run of it stops
    assert (state["other_again"].state, state["other_again"].stop_reason) == ("stopped", "merged")
    assert state["survivor_done"].state == "finished"
    assert Enrollment.objects.filter(lead=survivor, state="active").count() == 2


def test_consent_history_is_whole_and_the_newest_record_per_purpose_wins(two_cards, head):
    survivor, other = two_cards["survivor"], two_cards["other"]
    ids = set(Consent.objects.filter(lead__in=[survivor, other]).values_list("pk", flat=True))
    merge_leads(survivor=survivor, others=[other], by=head)

    history = consent_history(lead=survivor)
    assert {c.pk for c in history} == ids
    # marketing: given on the survivor 6 days ago, withdrawn on the other card 2 days ago -> withdrawn
    assert current_consents(history) == {"processing": True, "marketing": False, "partners": True}
    assert not has_consent(purpose=Purpose.MARKETING, lead=survivor, email="nobody@example.com")
    assert has_consent(purpose=Purpose.PARTNERS, lead=survivor)


def test_a_hot_duplicate_hands_a_nurtured_survivor_to_sales_once(make_nurtured, make_lead, bob, head, policy,
                                                                 make_rule):
    make_rule("add_to_cart", 40)
    survivor = make_nurtured()
    other = make_lead(owner=bob)
    services.record_behaviour("add_to_cart", lead=other)
    other.refresh_from_db()
    assert (other.temperature, other.state) == ("hot", "open")

    merge_leads(survivor=survivor, others=[other], by=head)

    survivor.refresh_from_db()
    assert survivor.temperature == "hot"
    assert survivor.state == "open"  # with sales now
    assert Activity.objects.filter(lead=survivor, text_key=HANDED).count() == 1
    assert OutboxEvent.objects.filter(name="lead.marketing_qualified", payload__lead_id=survivor.pk).count() == 1
    assert LeadScore.objects.get(lead=survivor).marketing_qualified_at is not None


def test_a_hot_duplicate_makes_a_survivor_with_sales_hot_without_a_second_hand_off(make_lead, alice, bob, head,
                                                                                   policy, make_rule):
    make_rule("add_to_cart", 40)
    survivor = make_lead(owner=alice)
    other = make_lead(owner=bob)
    services.record_behaviour("add_to_cart", lead=other)
    handed_before = Activity.objects.filter(text_key=HANDED).count()
    events_before = OutboxEvent.objects.filter(name="lead.marketing_qualified").count()

    merge_leads(survivor=survivor, others=[other], by=head)

    survivor.refresh_from_db()
    assert (survivor.temperature, survivor.state, survivor.owner_id) == ("hot", "open", alice.pk)
    # the other card's own change (moved with its history) and the survivor's one
    assert survivor.field_changes.filter(field="temperature", old_value="cold", new_value="hot").count() == 2
    assert Activity.objects.filter(text_key=HANDED).count() == handed_before
    assert OutboxEvent.objects.filter(name="lead.marketing_qualified").count() == events_before
    assert services.points_now(LeadScore.objects.get(lead=survivor), now=timezone.now()) == pytest.approx(40,
                                                                                                          rel=1e-4)


def test_undo_gives_the_marketing_data_back(two_cards, head):
    survivor, other = two_cards["survivor"], two_cards["other"]
    before = {
        "events": set(BehaviourEvent.objects.filter(lead=other).values_list("pk", flat=True)),
        "consents": set(Consent.objects.filter(lead=other).values_list("pk", flat=True)),
        "tags": set(Tag.objects.filter(leads=other).values_list("name", flat=True)),
        "points": services.points_now(LeadScore.objects.get(lead=other), now=timezone.now()),
    }
    merge = merge_leads(survivor=survivor, others=[other], by=head)

    undo_merge(merge=merge, by=head)

    assert set(BehaviourEvent.objects.filter(lead=other).values_list("pk", flat=True)) == before["events"]
    assert set(Consent.objects.filter(lead=other).values_list("pk", flat=True)) == before["consents"]
    assert set(Tag.objects.filter(leads=other).values_list("name", flat=True)) == before["tags"]
    assert set(Tag.objects.filter(leads=survivor).values_list("name", flat=True)) == {"b2b"}
    assert services.points_now(LeadScore.objects.get(lead=other), now=timezone.now()) == pytest.approx(
        before["points"], rel=1e-4)
    behind = Enrollment.objects.get(pk=two_cards["enrollments"]["survivor_behind"].pk)
    assert (behind.lead_id, behind.state, behind.step_index) == (survivor.pk, "active", 1)
    assert Enrollment.objects.get(pk=two_cards["enrollments"]["other_ahead"].pk).lead_id == other.pk
    assert Visitor.objects.get(visitor_id="v-other").lead_id == other.pk
