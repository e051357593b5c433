"""The screen-pop read: the card of one phone number, in one SQL statement.

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


# One statement, so one round trip to the database: the keys of the number, the best client among the
# contacts holding it, the best lead among the leads holding it; a client wins.
POP_SQL = """
WITH keys AS (
    SELECT card_type, card_id FROM matching_identitykey
    WHERE kind = %s AND value = %s AND card_type IN (%s, %s)
    LIMIT 51
),
client_row AS (
    SELECT 0 AS priority, 'client' AS type, c.id AS id, c.name AS name, co.name AS company,
           co.legal_form AS legal_form, CASE WHEN c.is_active THEN 'active' ELSE 'inactive' END AS state,
           '' AS stage, c.team_id AS team_id, c.owner_id AS owner_id, u.username AS username,
           u.first_name AS first_name, u.last_name AS last_name,
           (SELECT COUNT(*) FROM leads_task t WHERE t.client_id = c.id AND t.completed_at IS NULL) AS open_tasks
    FROM clients_client c
    LEFT JOIN clients_company co ON co.id = c.company_id
    LEFT JOIN accounts_user u ON u.id = c.owner_id
    WHERE c.contact_id IN (SELECT card_id FROM keys WHERE card_type = %s)
    ORDER BY c.is_active DESC, c.created_at DESC, c.id DESC
    LIMIT 1
),
lead_row AS (
    SELECT 1 AS priority, 'lead' AS type, l.id AS id, l.full_name AS name, l.company_name AS company,
           l.legal_form AS legal_form, l.state AS state, s.name AS stage, l.team_id AS team_id,
           l.owner_id AS owner_id, u.username AS username, u.first_name AS first_name, u.last_name AS last_name,
           (SELECT COUNT(*) FROM leads_task t WHERE t.lead_id = l.id AND t.completed_at IS NULL) AS open_tasks
    FROM leads_lead l
    JOIN leads_stage s ON s.id = l.stage_id
    LEFT JOIN accounts_user u ON u.id = l.owner_id
    WHERE l.id IN (SELECT card_id FROM keys WHERE card_type = %s) AND l.state <> 'merged'
    ORDER BY CASE l.state WHEN 'open' THEN 0 WHEN 'deferred' THEN 1 WHEN 'refused' THEN 2
                          WHEN 'converted' THEN 3 ELSE 9 END, l.id DESC
    LIMIT 1
)
SELECT type, id, name, company, legal_form, state, stage, team_id, owner_id, username, first_name, last_name,
       open_tasks, (SELECT COUNT(*) FROM keys)
FROM (SELECT * FROM client_row UNION ALL SELECT * FROM lead_row) AS found
ORDER BY priority
LIMIT 1
"""


def card_of_phone(e164: str) -> Popped | None:
    with connection.cursor() as cursor:
        cursor.execute(POP_SQL, [KeyKind.PHONE, e164, CardType.LEAD, CardType.CONTACT, CardType.CONTACT,
                                 CardType.LEAD])
        row = cursor.fetchone()
    if row is None:
        return None
    (kind, pk, name, company, legal_form, state, stage, team_id, owner_id, username, first, last, tasks,
     matches) = row
    return Popped(kind, pk, name, company or "", legal_form or "", state, stage or "", team_id, owner_id,
                  username or "", first or "", last or "", int(tasks), int(matches))
