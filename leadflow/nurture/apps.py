from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurtureConfig(AppConfig):
    name = "leadflow.nurture"
    label = "nurture"
    verbose_name = _("Segments and e-mail sequences")

    def ready(self) -> None:
        from leadflow.inbox.services import sent_message_lookups
        from leadflow.nurture import handlers, mail, privacy  # noqa: F401  (outbox handlers, exporter and eraser)

        sent_message_lookups.append(mail.cards_of_sent)  # a reply to our mail finds the card it went to
