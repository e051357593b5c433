"""What the real-data tests do again and again: post a submission as a sender does, and read a lead's card."""

from __future__ import annotations

from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.leads.models import Lead


def post(body: dict, headers: dict) -> tuple[int, dict]:
    """A JSON submission to /api/submissions with the sender's headers: (status, answer)."""
    response = HttpClient().post("/api/submissions", body, content_type="application/json", headers=headers)
    return response.status_code, response.json()


def card(lead: Lead, user: User) -> str:
    """The lead's card page as `user` sees it once the lead is theirs."""
    lead.owner = user
    lead.save(update_fields=["owner"])
    http = HttpClient()
    http.force_login(user)
    return http.get(f"/leads/{lead.pk}/").content.decode()
