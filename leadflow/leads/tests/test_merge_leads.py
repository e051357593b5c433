"""Merging duplicate leads field by field, and undoing the merge."""

import pytest

from leadflow.core.errors import DomainError, Forbidden
from leadflow.intake.models import Submission
from leadflow.leads import services
from leadflow.leads.merging import merge_leads, undo_merge
from leadflow.leads.models import Activity, Lead, Request, Task
from leadflow.matching import services as matching
from leadflow.matching.models import IdentityKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(make_lead, alice, bob):
    first = make_lead(owner=alice, last_name="Петров", first_name="Иван", email="", phone="+79120000001")
    second = make_lead(owner=bob, last_name="Petrov", first_name="Ivan", email="ivan@petrov.ru", phone="+79120000002",
                       city="Москва")
    services.log_activity(lead=second, kind="call", by=bob, subject="bob's call")
    return first, second


def test_merge_moves_everything_and_fills_empty_fields(head, alice, bob, pair):
    survivor, other = pair
    merge = merge_leads(survivor=survivor, others=[other], by=head)

    survivor.refresh_from_db()
    other.refresh_from_db()
    assert (other.state, other.merged_into) == ("merged", survivor)
    assert survivor.email == "ivan@petrov.ru" and survivor.city == "Москва"  # survivor had none
    assert survivor.phone == "+79120000001" and survivor.last_name == "Петров"  # survivor's own values win
    assert Request.objects.filter(lead=survivor).count() == 2
    assert Activity.objects.filter(lead=survivor, subject="bob's call").exists()
    assert not Task.objects.filter(lead=other).exists()
    assert Task.objects.open().filter(lead=survivor).values_list("assignee", flat=True).distinct().get() == alice.pk
    # the other lead's contacts now find the survivor
    found = matching.find(matching.Facts(emails=["ivan@petrov.ru"]))
    assert [(c.card_type, c.card_id) for c in found] == [("lead", survivor.pk)]
    assert merge.merged == [other.pk]
    assert bob.notifications.filter(kind="lead.merged").count() == 1


def test_field_choices_pick_the_winner_per_field(head, pair):
    survivor, other = pair
    merge_leads(survivor=survivor, others=[other], by=head, choices={"phone": other.pk, "last_name": other.pk,
                                                                     "first_name": other.pk})
    survivor.refresh_from_db()
    assert survivor.phone == "+79120000002"
    assert survivor.full_name == "Petrov Ivan"
    assert survivor.field_changes.filter(field="phone", new_value="+79120000002").exists()


def test_undo_splits_them_again_exactly(head, alice, bob, pair):
    survivor, other = pair
    before_requests = set(Request.objects.filter(lead=other).values_list("pk", flat=True))
    before_tasks = dict(Task.objects.filter(lead=other).values_list("pk", "assignee"))
    merge = merge_leads(survivor=survivor, others=[other], by=head, choices={"phone": other.pk})

    undo_merge(merge=merge, by=head)

    survivor.refresh_from_db()
    other.refresh_from_db()
    assert (other.state, other.merged_into) == ("open", None)
    assert (survivor.phone, survivor.email, survivor.city) == ("+79120000001", "", "")
    assert set(Request.objects.filter(lead=other).values_list("pk", flat=True)) == before_requests
    assert dict(Task.objects.filter(lead=other).values_list("pk", "assignee")) == before_tasks
    assert Activity.objects.filter(lead=other, subject="bob's call").exists()
    assert [c.card_id for c in matching.find(matching.Facts(emails=["ivan@petrov.ru"]))] == [other.pk]
    assert not IdentityKey.objects.filter(card_id=survivor.pk, value="ivan@petrov.ru").exists()
    with pytest.raises(DomainError):
        undo_merge(merge=merge, by=head)


def test_undo_keeps_edits_made_after_the_merge(head, pair):
    survivor, other = pair
    merge = merge_leads(survivor=survivor, others=[other], by=head)
    services.update_lead(lead=survivor, changes={"city": "Казань"}, by=head)
    undo_merge(merge=merge, by=head)
    survivor.refresh_from_db()
    assert survivor.city == "Казань"


def test_submissions_follow_the_merge(head, partner, pair):
    survivor, other = pair
    submission = Submission.objects.create(channel="partner", payload={}, lead=other)
    merge_leads(survivor=survivor, others=[other], by=head)
    assert Submission.objects.get(pk=submission.pk).lead == survivor


def test_a_manager_cannot_merge_someone_elses_lead(alice, pair):
    survivor, other = pair
    with pytest.raises(Forbidden):
        merge_leads(survivor=survivor, others=[other], by=alice)
    assert Lead.objects.get(pk=other.pk).state == "open"


def test_a_converted_lead_must_be_the_survivor(head, alice, pair):
    survivor, other = pair
    services.convert_lead(lead=survivor, by=alice)
    with pytest.raises(Exception) as refused:
        merge_leads(survivor=other, others=[survivor], by=head)
    assert "survivor_id" in refused.value.fields
    merge_leads(survivor=survivor, others=[other], by=head)
    assert Lead.objects.get(pk=other.pk).merged_into_id == survivor.pk


def test_only_the_latest_merge_can_be_undone(head, make_lead, pair):
    survivor, other = pair
    third = make_lead()
    first_merge = merge_leads(survivor=survivor, others=[other], by=head)
    merge_leads(survivor=survivor, others=[third], by=head)
    with pytest.raises(DomainError) as refused:
        undo_merge(merge=first_merge, by=head)
    assert refused.value.code == "merge_not_last"


def test_merged_leads_leave_lists_and_the_pool(api_as, head, make_lead, pair):
    survivor, other = pair
    merge_leads(survivor=survivor, others=[other], by=head)
    ids = [item["id"] for item in api_as(head).get("/api/leads").json()["items"]]
    assert other.pk not in ids and survivor.pk in ids


def test_duplicates_compare_merge_and_undo_over_the_api(api_as, head, alice, bob, make_lead):
    mine = make_lead(owner=alice, phone="+79125550000", email="a@x.ru")
    twin = make_lead(owner=bob, phone="+79125550001", email="a@x.ru")
    as_alice, as_head = api_as(alice), api_as(head)

    seen_by_alice = as_alice.get(f"/api/leads/{mine.pk}/duplicates").json()
    assert [(d["card_id"], d["visible"], d["name"], d["owner_name"]) for d in seen_by_alice] == [
        (twin.pk, False, "", "Bob")]  # alice learns that bob works this person, not bob's card
    assert "e-mail equal" in seen_by_alice[0]["reasons"]
    assert as_alice.get("/api/merges/compare", {"ids": f"{mine.pk},{twin.pk}"}).status_code == 404

    side = as_head.get("/api/merges/compare", {"ids": f"{mine.pk},{twin.pk}"}).json()
    assert [row["id"] for row in side] == [mine.pk, twin.pk]
    merged = as_head.post("/api/merges", {"survivor_id": mine.pk, "other_ids": [twin.pk],
                                               "choices": {"phone": twin.pk}}, content_type="application/json")
    assert merged.status_code == 201
    assert Lead.objects.get(pk=mine.pk).phone == "+79125550001"
    bad = as_head.post("/api/merges", {"survivor_id": mine.pk, "other_ids": [twin.pk],
                                            "choices": {"stage": twin.pk}}, content_type="application/json")
    assert bad.status_code in (409, 422)
    undone = as_head.post(f"/api/merges/{merged.json()['id']}/undo")
    assert undone.status_code == 200 and undone.json()["phone"] == "+79125550000"
    assert Lead.objects.get(pk=twin.pk).state == "open"


def test_contacts_the_survivor_does_not_show_stay_on_it_as_other_contacts_until_undone(head, make_lead, alice):
    kept = make_lead(owner=alice, first_name="Пётр", last_name="Сергеев", phone="+79123456789",
                     email="petr@example.ru")
    other = make_lead(owner=alice, first_name="Пётр", last_name="Сергеев", phone="+74951234567",
                      email="p.sergeev@gmial.com")
    Lead.objects.filter(pk=other.pk).update(other_contacts=["+79031112233 ext. 12"],
                                            email_checked="p.sergeev@gmial.com")
    other.refresh_from_db()

    merge = merge_leads(survivor=kept, others=[other], by=head, choices={"email": other.pk})
    kept.refresh_from_db()
    # The e-mail chosen from the other card keeps its "checked as right"; its phone, not chosen, and its other
    # contact stay visible on the card, each in the card's history; the survivor's own e-mail as well.
    assert kept.email == "p.sergeev@gmial.com" and kept.email_checked == "p.sergeev@gmial.com"
    assert kept.other_contacts == ["petr@example.ru", "+79031112233 ext. 12", "+74951234567"]
    assert set(kept.field_changes.filter(field="other_contacts").values_list("new_value", flat=True)) == {
        "petr@example.ru", "+79031112233 ext. 12", "+74951234567"}

    undo_merge(merge=merge, by=head)
    kept.refresh_from_db()
    assert (kept.email, kept.email_checked, kept.other_contacts) == ("petr@example.ru", "", [])


def test_undo_writes_the_fields_it_puts_back_into_the_cards_history(head, pair):
    """The history kept "city: — → Москва" and "other contacts: — → +79120000002" from the merge after the undo had
    taken them off the card: it read as if the card still had them."""
    survivor, other = pair
    merge = merge_leads(survivor=survivor, others=[other], by=head)
    undo_merge(merge=merge, by=head)
    survivor.refresh_from_db()
    assert (survivor.city, survivor.email, survivor.other_contacts) == ("", "", [])
    back = set(survivor.field_changes.values_list("field", "old_value", "new_value"))
    assert {("city", "Москва", ""), ("email", "ivan@petrov.ru", ""), ("other_contacts", "+79120000002", "")} <= back


def test_the_merged_cards_first_call_is_closed_not_left_as_a_second_call(head, alice, bob, pair):
    """Both cards had "Call the lead": after the merge the manager has one call to make, not two; undo reopens it."""
    survivor, other = pair
    own = Task.objects.open().get(lead=survivor)
    twin = Task.objects.open().get(lead=other)
    assert own.text_key == twin.text_key != ""
    written = services.create_task(lead=other, assignee=bob, title="Send the price list", kind="proposal",
                                   due_at=twin.due_at, by=bob)

    merge = merge_leads(survivor=survivor, others=[other], by=head)

    assert set(Task.objects.open().filter(lead=survivor).values_list("pk", flat=True)) == {own.pk, written.pk}
    twin.refresh_from_db()
    assert twin.is_cancelled and twin.completed_at is not None and twin.lead_id == survivor.pk

    undo_merge(merge=merge, by=head)
    twin.refresh_from_db()
    assert (twin.completed_at, twin.is_cancelled, twin.result, twin.lead_id, twin.assignee_id) == (
        None, False, "", other.pk, bob.pk)
    assert set(Task.objects.open().filter(lead=other).values_list("pk", flat=True)) == {twin.pk, written.pk}
