"""Ready-made sequences speak the site's language: their names, descriptions and the task titles managers get."""

from __future__ import annotations

import pytest
from django.apps import apps

from leadflow.leads.models import Task
from leadflow.nurture import ready_made
from leadflow.nurture.models import Sequence, Step
from leadflow.nurture.tests.conftest import later, tick
from leadflow.warming.services import record_behaviour

pytestmark = pytest.mark.django_db


def test_a_russian_site_gets_them_in_russian_and_its_managers_get_russian_tasks(switch_on, make_lead, consenting,
                                                                                alice):
    Sequence.objects.all().delete()
    assert install_in("ru") == len(ready_made.SEQUENCES)
    cart = Sequence.objects.get(key="abandoned-cart")
    assert cart.name == "Напоминание о брошенной корзине" and "брошенной корзины" in cart.description
    assert not cart.is_active  # still installed off

    switch_on("abandoned-cart")
    lead = consenting(make_lead(owner=alice, first_name="Анна", last_name="Петрова"))
    record_behaviour("cart_abandoned", lead=lead)
    tick()
    tick(later(minutes=61))
    tick(later(days=2, minutes=62))
    task = Task.objects.get(lead=lead, title__startswith="Позвонить о брошенной корзине")
    assert task.title.endswith(lead.full_name) and task.assignee == alice


@pytest.fixture
def switch_on(ready_made):  # type: ignore[no-untyped-def]
    return ready_made  # the conftest's fixture; its name is this module's import


def install_in(language: str) -> int:
    ready_made.install(apps.get_model, language=language)
    return Sequence.objects.filter(key__in=[spec["key"] for spec in ready_made.SEQUENCES]).count()


def test_an_english_installation_is_put_into_russian_but_not_what_a_marketer_changed():
    # What migration 0002 installed on an English site (the test database is one), then the site turns Russian.
    assert Sequence.objects.get(key="call-again").name == "Time to call again"
    upsell = Sequence.objects.get(key="upsell")
    Step.objects.filter(sequence=upsell, kind="task").update(task_title="Call {{ name }} about the warranty")
    farewell = Sequence.objects.get(key="farewell")
    Sequence.objects.filter(pk=farewell.pk).update(name="Our goodbye")

    ready_made.translate_untouched(apps.get_model, language="ru")

    call_again = Sequence.objects.get(key="call-again")
    assert call_again.name == "Пора позвонить снова"
    assert Step.objects.get(sequence=call_again, kind="task").task_title == "Пора позвонить снова: {{ name }}"
    assert Sequence.objects.get(key="browsing-discount").name == "Скидка после долгого просмотра"
    # The marketer's changes are theirs: neither the changed steps nor the renamed sequence are touched.
    upsell.refresh_from_db()
    assert upsell.name == "Up-sell / cross-sell to clients"
    assert Step.objects.get(sequence=upsell, kind="task").task_title == "Call {{ name }} about the warranty"
    assert Sequence.objects.get(pk=farewell.pk).name == "Our goodbye"


def test_every_ready_made_sequence_has_a_russian_version_for_each_task_it_sets():
    for spec in ready_made.SEQUENCES:
        texts = ready_made.SEQUENCE_TEXTS["ru"][spec["key"]]
        task_positions = {i for i, step in enumerate(spec["steps"], start=1) if step.get("task_title")}
        assert set(texts.get("tasks", {})) == task_positions, spec["key"]
        assert texts["name"] and texts["description"]


def test_an_english_site_keeps_them_in_english():
    before = list(Sequence.objects.values_list("name", flat=True))
    ready_made.translate_untouched(apps.get_model, language="en")
    assert list(Sequence.objects.values_list("name", flat=True)) == before
