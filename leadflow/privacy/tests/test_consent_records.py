from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.privacy.models import Purpose
from leadflow.privacy.services import has_consent, record_consent

pytestmark = pytest.mark.django_db


def test_latest_record_per_purpose_holds_and_withdrawal_revokes(make_lead):
    lead = make_lead(email="ann@example.com")
    assert not has_consent(purpose=Purpose.MARKETING, lead=lead)
    earlier = timezone.now() - timedelta(days=2)
    record_consent(purpose=Purpose.MARKETING, lead=lead, email="Ann@Example.com", text_version="v1", at=earlier)
    assert has_consent(purpose=Purpose.MARKETING, lead=lead)
    assert has_consent(purpose=Purpose.MARKETING, email="ann@example.COM")
    assert not has_consent(purpose=Purpose.PARTNERS, lead=lead)
    record_consent(purpose=Purpose.MARKETING, given=False, email="ann@example.com", channel="unsubscribe")
    assert not has_consent(purpose=Purpose.MARKETING, lead=lead)
