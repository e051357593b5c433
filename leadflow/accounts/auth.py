"""Who is asking: a user by personal token or session, a partner by API key, a form by its public key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer
from ninja.security.session import SessionAuth

from leadflow.accounts.middleware import activate_zone_of
from leadflow.accounts.models import UserToken, hash_token
from leadflow.core.memo import Memo


class BearerTokenAuth(HttpBearer):
    """Authorization: Bearer lfu_... (a personal token from `leadflow createtoken`)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = UserToken.objects.select_related("user__team").filter(token_hash=hash_token(token)).first()
        if row is None or not row.user.is_active:
            return None
        if row.last_used_at is None or (timezone.now() - row.last_used_at).total_seconds() > 300:
            UserToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        activate_zone_of(row.user)  # the middleware ran before the token was read: it activated the site's zone
        return row.user


class ActiveSessionAuth(SessionAuth):
    """Django's session (the web UI), CSRF-checked on unsafe methods by ninja."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated and user.is_active else None


_partners = Memo("intake.Partner", "accounts.Team", "marketing.Source")


def partner_from_key(raw: str) -> Any:
    from leadflow.intake.models import Partner

    if not raw:
        return None
    key_hash = hash_token(raw.strip())
    return _partners.get(key_hash, lambda: Partner.objects.filter(key_hash=key_hash, is_active=True).select_related(
        "team", "source"
    ).first())


class PartnerKeyAuth(APIKeyHeader):
    """X-Api-Key: lfp_... (a partner's key, shown once when issued)."""

    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        partner = partner_from_key(key or "")
        if partner is not None:
            request.partner = partner  # type: ignore[attr-defined]
        return partner


user_auth = [BearerTokenAuth(), ActiveSessionAuth()]
