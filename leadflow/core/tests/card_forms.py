"""Reading a card's refused form as the manager sees it: the lead card and the client card show a refused form's
errors the same way (by their fields, a summary above, nothing at the card's top), so their tests read it here."""

from __future__ import annotations

import re

from django.test import Client as HttpClient

from leadflow.accounts.models import User


def web(user: User) -> HttpClient:
    browser = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    return browser


def refused(browser: HttpClient, card: str, action: str, data: dict[str, str]) -> str:
    """Post the card's form (`card` is its path, "/leads/7/"); the answer is the card again, at the form, opened.
    Returns the form's HTML."""
    response = browser.post(f"{card}{action}/", data)
    assert response.status_code == 302 and response["Location"] == f"{card}#action-{action}"
    page = browser.get(card).content.decode()
    assert 'class="message error"' not in page  # nothing at the top of the card
    assert re.search(rf'<details class="action" id="action-{action}" open>', page)
    start = page.index(f'action="{card}{action}/"')
    return page[start:page.index("</form>", start)]


def by_field(form: str, field_id: str) -> str:
    """The field's own block in the form (Django's div per field: its label, its errors, its input)."""
    at = form.index(f'id="{field_id}"')
    return form[form.rindex("<div", 0, at):form.index("</div>", at)]


def summary(form: str) -> str:
    start = form.index('data-testid="error-summary"')
    return form[start:form.index("</div>", start)]
