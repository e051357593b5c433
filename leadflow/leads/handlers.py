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
    link = f"{settings.LEADFLOW_BASE_URL}/api/leads/{note.lead_id}" if note.lead_id else settings.LEADFLOW_BASE_URL
    with translation.override(note.user.language or settings.LANGUAGE_CODE):
        send_mail(subject=f"[Leadflow] {note.text}"[:200], message=f"{note.text}\n\n{link}\n",
                  from_email=None, recipient_list=[note.user.email])
