"""Outbox handlers of the leads app: e-mail each in-app notification; keep stage reach true to the stages."""

from django.conf import settings
from django.core.mail import send_mail
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import translation

from leadflow.events.models import OutboxEvent
from leadflow.events.services import handles, record_event
from leadflow.leads.models import Notification, Stage
from leadflow.leads.services import refresh_stage_reach


@handles("notification.created")
def email_notification(event: OutboxEvent) -> None:
    note = Notification.objects.select_related("user").filter(pk=event.payload.get("notification_id")).first()
    if note is None or not note.user.email or not note.user.is_active:
        return
    base = settings.LEADFLOW_BASE_URL.rstrip("/")
    link = f"{base}/leads/{note.lead_id}/" if note.lead_id else (
        f"{base}/clients/{note.client_id}/" if note.client_id else f"{base}/")
    with translation.override(note.user.language or settings.LANGUAGE_CODE):
        text = note.shown_text
        # The subject is one line whatever a lead's name holds (a header with a line break is refused).
        subject = " ".join(f"[Leadflow] {text}".split())[:200]
        send_mail(subject=subject, message=f"{text}\n\n{link}\n",
                  from_email=None, recipient_list=[note.user.email])


@receiver(post_save, sender=Stage)
@receiver(post_delete, sender=Stage)
def _stages_reconfigured(sender: type, instance: Stage, **kwargs: object) -> None:
    # A stage's position, kind or "qualified" mark decides every lead's stage reach: recompute them all
    # in the worker (a minute for a million leads), not in the admin's request.
    record_event("stages.reconfigured", stage_id=instance.pk)


@handles("stages.reconfigured")
def recompute_stage_reach(event: OutboxEvent) -> None:
    later = OutboxEvent.objects.filter(name=event.name, pk__gt=event.pk, delivered_at__isnull=True)
    if not later.exists():  # several edits in a row: the last one's recomputation covers them all
        refresh_stage_reach()
