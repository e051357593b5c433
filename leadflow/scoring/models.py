"""The predictive score: models trained on the base's closed leads and each lead's latest prediction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModelStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    TRAINING = "training", _("Training")
    TRAINED = "trained", _("Trained")
    NOT_ENOUGH_DATA = "not_enough", _("Not enough closed leads")
    FAILED = "failed", _("Failed")


# A training run that ended: the newest of these is the model in use (or the reason there is none).
FINISHED = (ModelStatus.TRAINED, ModelStatus.NOT_ENOUGH_DATA)


class ScoringModelQuerySet(models.QuerySet):
    def finished(self) -> ScoringModelQuerySet:
        return self.filter(status__in=FINISHED)

    def pending(self) -> ScoringModelQuerySet:
        return self.filter(status__in=(ModelStatus.QUEUED, ModelStatus.TRAINING))


class ScoringModel(models.Model):
    """One training run over the closed leads: its figures, and the fitted model as plain numbers.

    The model is kept as JSON (feature names, scaling, coefficients, the calibration's two numbers), not
    as a pickle: scoring then needs no unpickling of stored bytes and survives a scikit-learn upgrade.
    """

    status = models.CharField(_("status"), max_length=10, choices=ModelStatus.choices, default=ModelStatus.QUEUED)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    trained_at = models.DateTimeField(_("trained at"), null=True, blank=True)
    n_closed = models.PositiveIntegerField(_("closed leads"), default=0)
    n_positive = models.PositiveIntegerField(_("converted leads"), default=0)
    n_needed = models.PositiveIntegerField(_("closed leads needed"), default=0)
    n_needed_per_class = models.PositiveIntegerField(_("needed of each outcome"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    parameters = models.JSONField(_("fitted model"), default=dict, blank=True, editable=False)
    features = models.JSONField(_("features"), default=list, blank=True)
    n_scored = models.PositiveIntegerField(_("open leads scored"), default=0)
    error = models.TextField(_("error"), blank=True)

    objects = ScoringModelQuerySet.as_manager()

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "-trained_at"], name="scoring_model_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def is_trained(self) -> bool:
        return self.status == ModelStatus.TRAINED

    @property
    def n_negative(self) -> int:
        return self.n_closed - self.n_positive


class Prediction(models.Model):
    """A lead's latest conversion probability with the top reasons for it (closed leads keep their last one)."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="prediction")
    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="predictions")
    probability = models.FloatField(_("conversion probability"))
    # [{"field": "source", "value": "Partner X", "effect": 0.42}, ...]: the value as the lead has it, the effect
    # on the log-odds; worded in the reader's language when shown (scoring.reasons).
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)

    class Meta:
        verbose_name = _("prediction")
        verbose_name_plural = _("predictions")
        # "Best leads first" over the open ones reads this.
        indexes = [models.Index(fields=["-probability"], name="prediction_probability")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.probability:.3f}"
