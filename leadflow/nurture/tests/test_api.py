"""The segments API: the marketer creates and counts; a bad condition is a 422 naming the field; others 404."""

from __future__ import annotations

import pytest

from leadflow.nurture import services
from leadflow.nurture.models import EnrollmentState, Sequence

pytestmark = pytest.mark.django_db


def test_a_marketer_creates_a_segment_and_reads_its_count(api_as, mary, make_lead):
    make_lead(city="Kazan")
    make_lead(city="Omsk")
    api = api_as(mary)
    created = api.post("/api/segments", {"name": "Kazan", "conditions": {"city": ["kazan"]}},
                       content_type="application/json")
    assert created.status_code == 201 and created.json()["count"] == 1
    bad = api.post("/api/segments", {"name": "Bad", "conditions": {"temperature": ["boiling"]}},
                   content_type="application/json")
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["temperature"]
    assert [row["name"] for row in api.get("/api/segments").json()] == ["Kazan"]


def test_a_manager_cannot_read_segments_but_stops_a_sequence_on_her_lead(api_as, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    enrollment = services.enroll(sequence=Sequence.objects.create(name="S", trigger="manual"), lead=lead)
    assert api_as(alice).get("/api/segments").status_code == 404
    assert api_as(bob).post(f"/api/enrollments/{enrollment.pk}/stop").status_code == 404
    response = api_as(alice).post(f"/api/enrollments/{enrollment.pk}/stop")
    assert response.status_code == 200 and response.json() == {"stopped": True}
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.STOPPED
