import pytest

from leadflow.events.models import OutboxEvent
from leadflow.warming.models import EventKind
from leadflow.warming.services import record_behaviour

pytestmark = pytest.mark.django_db


def test_recorded_event_is_announced_in_the_outbox(make_lead):
    lead = make_lead()
    event = record_behaviour(EventKind.ADD_TO_CART, lead=lead, url="https://shop.example/c", properties={"sku": "A1"})
    announced = OutboxEvent.objects.get(name="behaviour.recorded")
    assert announced.payload == {
        "event_id": event.pk, "kind": "add_to_cart", "lead_id": lead.pk, "client_id": None, "visitor_id": "",
    }
    assert list(lead.behaviour_events.values_list("kind", flat=True)) == ["add_to_cart"]
