"""The score through the API: a lead's probability and reasons, the model's figures, "retrain now"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from leadflow.accounts.models import Role, User
from leadflow.core.errors import Forbidden
from leadflow.core.inputs import PathId
from leadflow.leads.api import visible_lead
from leadflow.scoring import features, services

router = Router(tags=["scoring"])


class ReasonOut(Schema):
    field: str
    value: Any
    effect: float
    text: str


class ScoreOut(Schema):
    status: str  # scored | not_enough | not_scored | no_model
    probability: float | None = None
    reasons: list[ReasonOut] = []
    model_id: int | None = None
    trained_at: datetime | None = None
    scored_at: datetime | None = None
    n_closed: int | None = None
    n_needed: int | None = None


class ModelOut(Schema):
    id: int | None
    status: str
    trained_at: datetime | None = None
    n_closed: int = 0
    n_positive: int = 0
    n_needed: int = 0
    n_needed_per_class: int = 0
    metrics: dict[str, Any] = {}
    pending: bool = False


@router.get("/leads/{lead_id}/score", response=ScoreOut, summary="A lead's chance to convert and the top reasons")
def lead_score(request: HttpRequest, lead_id: PathId) -> dict[str, Any]:
    lead = visible_lead(request.auth, lead_id)
    prediction = services.visible_prediction(lead=lead)
    if prediction is not None:
        return {
            "status": "scored", "probability": prediction.probability, "model_id": prediction.model_id,
            "trained_at": prediction.model.trained_at, "scored_at": prediction.scored_at,
            "reasons": [{**reason, "text": features.describe(reason)} for reason in prediction.reasons],
        }
    model = services.current_model()
    if model is None:
        return {"status": "no_model"}
    if not model.is_trained:
        return {"status": "not_enough", "n_closed": model.n_closed, "n_needed": model.n_needed}
    return {"status": "not_scored", "model_id": model.pk, "trained_at": model.trained_at}


def _require_head(user: User) -> None:
    if not (user.is_admin or user.role == Role.HEAD):
        raise Forbidden(_("Only the head of sales or an admin may see the scoring model."))


@router.get("/scoring/model", response=ModelOut, summary="The model in use: AUC, log loss, calibration (head, admin)")
def scoring_model(request: HttpRequest) -> dict[str, Any]:
    _require_head(request.auth)
    model = services.current_model()
    pending = services.ScoringModel.objects.pending().exists()
    if model is None:
        return {"id": None, "status": "none", "pending": pending}
    return {"id": model.pk, "status": model.status, "trained_at": model.trained_at, "n_closed": model.n_closed,
            "n_positive": model.n_positive, "n_needed": model.n_needed,
            "n_needed_per_class": model.n_needed_per_class, "metrics": model.metrics, "pending": pending}


@router.post("/scoring/retrain", response={202: ModelOut}, summary="Queue a retraining for the worker (admin)")
def retrain(request: HttpRequest) -> Status:
    run = services.request_retrain(by=request.auth)
    return Status(202, {"id": run.pk, "status": run.status, "pending": True})
