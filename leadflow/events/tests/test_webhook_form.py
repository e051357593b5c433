"""The admin's webhook form reads as the admin's other forms."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_webhook_form_labels_its_events_as_its_other_fields(admin_client) -> None:
    form = admin_client.get("/admin/events/webhook/add/").content.decode()
    assert '<label class="required">Events:</label>' in form
