"""The score's page for the head of sales and the admin: how good the model in use is, and "Retrain now"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Role, User
from leadflow.scoring import features, services
from leadflow.scoring.models import ScoringModel

TOP_WEIGHTS = 12


def _require_head(request: HttpRequest) -> None:
    user: User = request.user
    if not (user.is_admin or user.role == Role.HEAD):
        raise Http404


def weights(model: ScoringModel) -> list[dict[str, Any]]:
    """The strongest columns of the model, each worded like a reason on a card ("+ source: Partner X")."""
    if not model.is_trained:
        return []
    fitted = services.fitted(model)
    rows = []
    for column, coef, scale in zip(fitted.columns, fitted.coef, fitted.scale, strict=True):
        name, _sep, value = column.partition("=")
        feature = features.BY_NAME.get(name)
        # Effect of one unit of the raw column (one-hot present, flag set, log-count up by one) on the log-odds.
        effect = coef / scale * fitted.platt_a
        if feature is not None and feature.kind == features.COUNT:
            more = _("(the more, the likelier)") if effect >= 0 else _("(the more, the less likely)")
            text = f"{'+' if effect >= 0 else '−'} {feature.label} {more}"
        else:
            shown: object = value if feature is None or feature.kind == features.CATEGORY else 1.0
            text = features.describe({"field": name, "value": shown, "effect": effect})
        rows.append({"text": text, "effect": effect})
    rows.sort(key=lambda row: -abs(row["effect"]))
    return rows[:TOP_WEIGHTS]


@login_required
def model_page(request: HttpRequest) -> HttpResponse:
    _require_head(request)
    current = services.current_model()
    runs = list(ScoringModel.objects.select_related("requested_by")[:10])
    metrics = current.metrics if current is not None and current.is_trained else {}
    return render(request, "scoring/model.html", {
        "current": current,
        "metrics": metrics,
        "calibration": metrics.get("calibration", []),
        "weights": weights(current) if current is not None else [],
        "runs": runs,
        "pending": ScoringModel.objects.pending().first(),
        "can_retrain": request.user.is_admin,
    })


@login_required
@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    _require_head(request)
    if not request.user.is_admin:
        return HttpResponse(_("Only an administrator may retrain the score."), status=403)
    services.request_retrain(by=request.user)
    messages.success(request, _("Retraining is queued; the worker starts it within a minute."))
    return redirect("scoring_model")
