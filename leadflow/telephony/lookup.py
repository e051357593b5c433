"""The screen-pop read: the card of one phone number, in two short SQL statements.

A phone rings and the manager's screen asks who it is: this runs on every incoming call, so it is
written as plain SQL over the indexes (the exact phone key in `matching_identitykey`, then the card by
primary key), not as ORM querysets whose building and compiling cost more than the reads themselves.
It ranks cards as `services.pick_card` does (tested to agree): a client first, then a lead in work.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from leadflow.matching.models import CardType, KeyKind


@dataclass
class Popped:
    """What the screen shows about a card, and what decides who may see it."""

    type: str
    id: int
    name: str
    company: str
    legal_form: str
    state: str  # a lead's state; for a client "active" or "inactive"
    stage: str
    team_id: int | None
    owner_id: int | None
    owner_username: str
    owner_first_name: str
    owner_last_name: str
    open_tasks: int
    matches: int

    @property
    def owner_name(self) -> str:
        full = f"{self.owner_first_name} {self.owner_last_name}".strip()
        return full or self.owner_username


KEYS_SQL = (
    "SELECT card_type, card_id FROM matching_identitykey "
    "WHERE kind = %s AND value = %s AND card_type IN (%s, %s) LIMIT 51"
)
CLIENT_SQL = """
SELECT c.id, c.name, co.name, co.legal_form, c.is_active, c.team_id, c.owner_id,
       u.username, u.first_name, u.last_name,
       (SELECT COUNT(*) FROM leads_task t WHERE t.client_id = c.id AND t.completed_at IS NULL)
FROM clients_client c
LEFT JOIN clients_company co ON co.id = c.company_id
LEFT JOIN accounts_user u ON u.id = c.owner_id
WHERE c.contact_id IN ({ids})
ORDER BY c.is_active DESC, c.created_at DESC, c.id DESC
LIMIT 1
"""
LEAD_SQL = """
SELECT l.id, l.full_name, l.company_name, l.legal_form, l.state, s.name, l.team_id, l.owner_id,
       u.username, u.first_name, u.last_name,
       (SELECT COUNT(*) FROM leads_task t WHERE t.lead_id = l.id AND t.completed_at IS NULL)
FROM leads_lead l
JOIN leads_stage s ON s.id = l.stage_id
LEFT JOIN accounts_user u ON u.id = l.owner_id
WHERE l.id IN ({ids}) AND l.state <> 'merged'
ORDER BY CASE l.state WHEN 'open' THEN 0 WHEN 'deferred' THEN 1 WHEN 'refused' THEN 2 WHEN 'converted' THEN 3
         ELSE 9 END, l.id DESC
LIMIT 1
"""


def card_of_phone(e164: str) -> Popped | None:
    with connection.cursor() as cursor:
        cursor.execute(KEYS_SQL, [KeyKind.PHONE, e164, CardType.LEAD, CardType.CONTACT])
        refs = cursor.fetchall()
        if not refs:
            return None
        contact_ids = [int(card_id) for card_type, card_id in refs if card_type == CardType.CONTACT]
        lead_ids = [int(card_id) for card_type, card_id in refs if card_type == CardType.LEAD]
        if contact_ids:
            cursor.execute(CLIENT_SQL.format(ids=", ".join(["%s"] * len(contact_ids))), contact_ids)
            row = cursor.fetchone()
            if row is not None:
                (pk, name, company, legal_form, is_active, team_id, owner_id, username, first, last, tasks) = row
                return Popped("client", pk, name, company or "", legal_form or "",
                              "active" if is_active else "inactive", "", team_id, owner_id, username or "",
                              first or "", last or "", tasks, len(refs))
        if lead_ids:
            cursor.execute(LEAD_SQL.format(ids=", ".join(["%s"] * len(lead_ids))), lead_ids)
            row = cursor.fetchone()
            if row is not None:
                (pk, name, company, legal_form, state, stage, team_id, owner_id, username, first, last, tasks) = row
                return Popped("lead", pk, name, company, legal_form, state, stage, team_id, owner_id,
                              username or "", first or "", last or "", tasks, len(refs))
    return None
