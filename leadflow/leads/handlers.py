"""Outbox handlers of the leads app: e-mail each in-app notification to its user."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation

from leadflow.events.models import OutboxEvent
from leadflow.events.services import handles
from leadflow.leads.models import Notification


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
        send_mail(subject=f"[Leadflow] {text}"[:200], message=f"{text}\n\n{link}\n",
                  from_email=None, recipient_list=[note.user.email])
