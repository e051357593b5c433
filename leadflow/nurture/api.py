"""The segments and sequences API: the same services as the marketing pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from leadflow.core.errors import NotFound
from leadflow.core.inputs import NOT_BLANK, BodyIn, PathId
from leadflow.nurture import services
from leadflow.nurture.models import Enrollment, Segment

router = Router(tags=["segments and sequences"])


class SegmentIn(BodyIn):
    name: str = Field(..., max_length=120, json_schema_extra={"pattern": NOT_BLANK},
                      description="Not blank, and no other segment's (422 naming `name` otherwise)")
    audience: str = Field("leads", json_schema_extra={"enum": ["leads", "clients"]})
    conditions: dict[str, Any] = Field({}, description="field: value, of the fields segments of this audience filter "
                                                       "on; another field or value is refused with 422 naming it")
    description: str = ""


class SegmentOut(Schema):
    id: int
    name: str
    audience: str
    conditions: dict[str, Any]
    count: int


def _out(segment: Segment) -> dict[str, Any]:
    return {"id": segment.pk, "name": segment.name, "audience": segment.audience,
            "conditions": segment.conditions, "count": services.segment_members(segment).count()}


def _marketing(request: HttpRequest) -> None:
    if not services.can_manage_marketing(request.auth):
        raise NotFound("segment")


@router.get("/segments", response=list[SegmentOut], summary="Segments with their live counts (marketer, admin)")
def list_segments(request: HttpRequest) -> list[dict[str, Any]]:
    _marketing(request)
    return [_out(segment) for segment in Segment.objects.order_by("name")]


@router.post("/segments", response={201: SegmentOut}, summary="Create a segment (conditions checked per field)")
def create_segment(request: HttpRequest, payload: SegmentIn) -> Status:
    _marketing(request)
    segment = services.save_segment(name=payload.name, audience=payload.audience, conditions=payload.conditions,
                                    description=payload.description, by=request.auth)
    return Status(201, _out(segment))


@router.get("/segments/{segment_id}", response=SegmentOut, summary="A segment and its live count")
def get_segment(request: HttpRequest, segment_id: PathId) -> dict[str, Any]:
    _marketing(request)
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise NotFound("segment")
    return _out(segment)


@router.post("/enrollments/{enrollment_id}/stop", summary="Stop a person's sequence by hand")
def stop_enrollment(request: HttpRequest, enrollment_id: PathId) -> dict[str, Any]:
    enrollment = Enrollment.objects.select_related("lead", "client").filter(pk=enrollment_id).first()
    if enrollment is None or not services.may_stop_enrollment(request.auth, enrollment):
        raise NotFound("enrollment")
    user = request.auth
    return {"stopped": services.stop_enrollment(enrollment=enrollment, by=user)}
