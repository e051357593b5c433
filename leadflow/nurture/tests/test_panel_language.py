"""The card's marketing panel says why a sequence stopped and why an e-mail was not sent in the reader's language
(a Russian manager read "(reply)" and "(no marketing consent)")."""

from __future__ import annotations

import pytest

from leadflow.nurture import mail, services
from leadflow.nurture.models import Enrollment, EnrollmentState, Sequence
from leadflow.nurture.rendering import Rendered

pytestmark = pytest.mark.django_db


def test_a_stopped_sequence_and_an_unsent_email_are_explained_in_the_readers_language(make_lead, alice, as_user):
    lead = make_lead(owner=alice)
    enrollment = services.enroll(sequence=Sequence.objects.create(name="Осенняя рассылка", trigger="manual"),
                                 lead=lead)
    Enrollment.objects.filter(pk=enrollment.pk).update(state=EnrollmentState.STOPPED, stop_reason="reply")
    mail.queue_message(lead=lead, to_email=lead.email, rendered=Rendered(subject="Скидка", html="<p>x</p>", text="x"))

    alice.language = "ru"
    alice.save()
    russian = as_user(alice).get(f"/marketing/cards/lead/{lead.pk}/").content.decode()
    assert "(ответил)" in russian and "(reply)" not in russian
    assert "(нет согласия на рассылку)" in russian and "no marketing consent" not in russian

    alice.language = "en"
    alice.save()
    english = as_user(alice).get(f"/marketing/cards/lead/{lead.pk}/").content.decode()
    assert "(replied)" in english and "(no marketing consent)" in english
