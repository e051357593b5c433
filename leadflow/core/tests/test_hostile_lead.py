"""A lead sent in by an attacker through the public road is shown as text on every page that shows it.

The lead arrives through the public API with markup in every text field (the same `receive` every channel
uses); then the card's history gets an edit, an activity, a site event with a hostile URL and properties, and
a look-alike duplicate. Every page that shows the lead, in the app and in the admin, is fetched as the admin:
the markup never comes back as markup, and no `javascript:` address becomes a link.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client as HttpClient

from leadflow.leads import services
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = '"><script>alert(2)</script>'
TEMPLATE = "{{ lead.owner.password }}{% debug %}"
JS_URL = "javascript:alert(3)//"
RAW_MARKERS = ("<img src=x", "<script>alert(2)", "onerror=alert(1)>")
# How an escaped IMG looks: Django escapes < > " ' &; it may be cut short (truncatechars) but starts like this.
ESCAPED = "&lt;img src=x onerror=alert(1)"


def submit(form_key: str, body: dict) -> dict:
    response = HttpClient().post("/api/submissions", data=json.dumps(body), content_type="application/json",
                                 headers={"X-Form-Key": form_key})
    assert response.status_code in (200, 201), response.content
    return response.json()


@pytest.fixture
def hostile(web_form, alice, admin_user) -> Lead:
    from leadflow.warming.services import record_behaviour

    body = {
        "first_name": IMG, "last_name": SCRIPT, "middle_name": TEMPLATE, "company": f"ООО {IMG}",
        "position": SCRIPT, "city": IMG, "product_interest": IMG, "message": f"{IMG} {SCRIPT} {TEMPLATE} {JS_URL}",
        "phone": "+79161234567", "email": "hostile@example.ru",
        "utm_source": IMG, "utm_medium": SCRIPT, "utm_campaign": IMG, "utm_content": TEMPLATE, "utm_term": JS_URL,
        "referrer": f"https://evil.example/{SCRIPT}", "landing_page": f"https://evil.example/?q={IMG}",
        "consent": True,
    }
    submit(web_form.public_key, body)
    lead = Lead.objects.get(email="hostile@example.ru")
    # The same person again, a little different: a request on the card, a possible duplicate to compare.
    submit(web_form.public_key, {**body, "message": f"again {IMG}"})
    twin_facts = services.PersonFacts(first_name=IMG, last_name=SCRIPT, phone="+79161234568",
                                      email="hostile@example.ru.evil", full_name=f"{SCRIPT} {IMG}")
    twin = services.create_lead(person=twin_facts, touch=services.Touch(channel="manual"), team=lead.team)
    services.claim_lead(lead=lead, by=alice)
    services.claim_lead(lead=twin, by=alice)
    services.update_lead(lead=twin, by=alice, changes={"city": f"{SCRIPT} city", "position": IMG})  # audited
    services.log_activity(lead=lead, kind="note", by=alice, body=f"{IMG} {JS_URL} https://ok.example/{SCRIPT}")
    record_behaviour("page_view", lead=lead, url=f"{JS_URL}{IMG}", properties={IMG: SCRIPT, "u": JS_URL})
    lead.refresh_from_db()
    lead.twin = twin
    return lead


def pages(lead: Lead) -> list[str]:
    twin = lead.twin
    hostile_submission = lead.requests.order_by("pk").first().submission_id
    return [
        "/leads/", f"/leads/?q={lead.email}", "/pool/", "/board/", "/team/", "/tasks/", "/notifications/",
        f"/leads/{lead.pk}/", f"/leads/{twin.pk}/", f"/leads/{twin.pk}/compare/?other={lead.pk}",
        f"/leads/{lead.pk}/compare/?other={twin.pk}",
        f"/marketing/cards/lead/{lead.pk}/", "/marketing/", "/analytics/", "/analytics/funnel/",
        "/analytics/conversion/", "/analytics/speed/", "/analytics/managers/", "/analytics/refusals/",
        "/analytics/costs/", "/partners/", "/calls/", f"/privacy/erase/?lead={lead.pk}",
        "/admin/leads/lead/", f"/admin/leads/lead/{lead.pk}/change/", "/admin/leads/request/",
        "/admin/leads/activity/", "/admin/intake/submission/",
        "/admin/events/outboxevent/", "/admin/warming/behaviourevent/",
        f"/admin/intake/submission/{hostile_submission}/change/",
    ]


def problems_in(html: str) -> list[str]:
    found = [marker for marker in RAW_MARKERS if marker in html]
    found += [href for href in re.findall(r'(?:href|src|action|formaction)\s*=\s*["\']?\s*javascript:', html, re.I)]
    return found


def test_every_page_shows_the_hostile_lead_as_text(hostile, admin_user):
    client = HttpClient()
    client.force_login(admin_user)
    unsafe, shown = {}, 0
    for url in pages(hostile):
        response = client.get(url, follow=True)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        if found := problems_in(html):
            unsafe[url] = found
        shown += ESCAPED in html
    assert unsafe == {}, f"markup from a public form came back as markup: {unsafe}"
    card = client.get(f"/leads/{hostile.pk}/").content.decode()
    assert TEMPLATE in card  # template syntax in a name is shown, never run
    assert shown >= 10  # the pages did show the hostile lead (escaped), so the check above saw it


def test_exports_of_the_hostile_lead_are_not_formulas_nor_markup(hostile, admin_user, head):
    client = HttpClient()
    client.force_login(admin_user)
    csv_text = b"".join(client.get("/leads/export.csv").streaming_content).decode("utf-8-sig")
    assert IMG in csv_text  # the text itself, exactly as sent (a CSV is not HTML)
    privacy = client.get(f"/privacy/export/?lead={hostile.pk}")
    assert privacy.status_code == 200
    assert privacy["Content-Disposition"].startswith("attachment")
    assert privacy["Content-Type"].startswith("application/json")


def test_line_breaks_in_a_public_name_neither_forge_mail_headers_nor_stop_the_owners_mail(web_form, alice):
    """A name with CR/LF ("Ann\\r\\nBcc: ...") made the owner's notification e-mail fail (Django refuses a
    header with a line break), retried for ever: the attacker could silence the notices of their requests."""
    from django.core import mail

    from leadflow.events.models import OutboxEvent
    from leadflow.events.services import deliver_pending

    body = {"first_name": "Ann\r\nBcc: spy@evil.example", "last_name": "Lee\tTab", "company": "Acme\nLtd",
            "city": "Kazan\r\n", "phone": "+79161230000", "consent": True, "message": "line one\nline two"}
    submit(web_form.public_key, body)
    lead = Lead.objects.get(phone="+79161230000")
    # One line each; the address typed into the name leaves the name (intake takes contacts out of names).
    assert (lead.first_name, lead.last_name, lead.city) == ("Ann Bcc:", "Lee Tab", "Kazan")
    services.claim_lead(lead=lead, by=alice)
    submit(web_form.public_key, {**body, "message": "again"})  # alice is told of the new request
    deliver_pending()
    assert not OutboxEvent.objects.filter(name="notification.created", delivered_at__isnull=True).exists()
    [sent] = mail.outbox
    assert sent.to == ["alice@example.com"] and sent.bcc == []
    assert "\n" not in sent.subject and "\r" not in sent.subject
    assert "spy@evil.example" not in sent.message().get("Bcc", "")
    assert lead.requests.order_by("pk").first().message == "line one\nline two"  # a message keeps its lines


def test_a_notification_mail_subject_is_one_line_whatever_the_name(alice, make_lead):
    """Names from other roads (an import, an edit on the card) may still hold a line break: the mail goes out."""
    from django.core import mail

    from leadflow.events.services import deliver_pending

    lead = make_lead(first_name="Ann\nBcc: spy@evil.example")
    services.notify(user=alice, kind="lead.assigned", template="New request from %(name)s", lead=lead,
                    name=lead.first_name)
    deliver_pending()
    [sent] = mail.outbox
    assert sent.subject == "[Leadflow] New request from Ann Bcc: spy@evil.example" and sent.bcc == []


def test_a_landing_page_from_a_public_form_does_not_lock_the_card(web_form, alice, client):
    """The pipeline takes any http(s) landing page; the card's edit validated every field again, so an address
    the model's URL check dislikes (a space, an intranet host) made every later edit of the card fail (500)."""
    for n, page in enumerate(["https://evil.example/?q=<img src=x onerror=alert(1)>", "http://intranet/landing"]):
        submit(web_form.public_key, {"first_name": "Ann", "phone": f"+7916123450{n}", "landing_page": page,
                                     "consent": True})
        lead = Lead.objects.get(phone=f"+7916123450{n}")
        services.claim_lead(lead=lead, by=alice)
        client.force_login(alice)
        response = client.post(f"/leads/{lead.pk}/edit/", {"first_name": "Ann", "last_name": "Lee",
                                                            "phone": lead.phone, "city": "Kazan",
                                                            "temperature": lead.temperature})
        assert response.status_code == 302
        lead.refresh_from_db()
        assert (lead.last_name, lead.city, lead.landing_page) == ("Lee", "Kazan", page)


def test_an_import_file_with_markup_is_shown_as_text(head, tmp_path, client):
    """Headers and cells of an uploaded file on the mapping page and in the run's report, and its error file."""
    import csv

    from leadflow.imports import services as imports

    path = tmp_path / "leads.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Name", "Phone", IMG])
        writer.writerow([IMG, "+79161231111", SCRIPT])
        writer.writerow([f"=HYPERLINK(\"https://evil.example\",\"{SCRIPT}\")", "not a phone", IMG])
    job = imports.create_job(upload=path, by=head)
    client.force_login(head)
    pages = [client.get(f"/imports/{job.pk}/").content.decode()]
    imports.set_mapping(job=job, mapping={"0": "name", "1": "phone"}, source=None, campaign=None, region="RU",
                        by=head)
    imports.dry_run(job)
    job.refresh_from_db()
    pages.append(client.get(f"/imports/{job.pk}/").content.decode())
    imports.run_import(job)
    job.refresh_from_db()
    pages += [client.get(f"/imports/{job.pk}/").content.decode(), client.get("/imports/").content.decode()]
    for html in pages:
        assert problems_in(html) == []
    assert ESCAPED in pages[0]
    assert job.error_file, job.report  # the third row has no valid phone
    errors = b"".join(client.get(f"/imports/{job.pk}/errors.csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in errors and "\n=HYPERLINK" not in errors and ";=HYPERLINK" not in errors
