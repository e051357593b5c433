"""The admin: mailbox passwords never shown, raw messages and attachments downloadable by staff only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test import override_settings

from leadflow.core.encryption import SecretUnreadable
from leadflow.inbox import services
from leadflow.inbox.models import Mailbox
from leadflow.inbox.tests.messages import BODY, build

pytestmark = pytest.mark.django_db

SECRET = "s3cret-imap-password"


@pytest.fixture
def admin_client(admin_user) -> HttpClient:
    client = HttpClient()
    client.force_login(admin_user)
    return client


@pytest.fixture
def mailbox(db) -> Mailbox:
    return Mailbox.objects.create(name="Sales", host="imap.example.com", username="sales@example.com",
                                  password=SECRET)


def test_the_password_is_neither_listed_nor_sent_back_in_the_form(admin_client, mailbox):
    listing = admin_client.get("/admin/inbox/mailbox/")
    form = admin_client.get(f"/admin/inbox/mailbox/{mailbox.pk}/change/")

    assert listing.status_code == form.status_code == 200
    assert "imap.example.com" in listing.content.decode() and SECRET not in listing.content.decode()
    assert 'name="password"' in form.content.decode() and SECRET not in form.content.decode()


def test_a_password_entered_in_the_admin_is_stored_encrypted(admin_client):
    data = {"name": "New", "host": "imap.example.com", "port": 993, "security": "ssl", "username": "u",
            "password": SECRET, "folder": "INBOX", "after_taking": "seen", "move_to": "", "is_active": "on"}

    response = admin_client.post("/admin/inbox/mailbox/add/", data)

    mailbox = Mailbox.objects.get(name="New")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM inbox_mailbox WHERE id = %s", [mailbox.pk])
        stored = cursor.fetchone()[0]
    assert response.status_code == 302 and mailbox.password == SECRET
    assert SECRET not in stored and stored.startswith("gAAAAA")


def test_saving_without_a_password_keeps_the_stored_one(admin_client, mailbox):
    data = {"name": "Sales", "host": "imap2.example.com", "port": 993, "security": "ssl",
            "username": "sales@example.com", "password": "", "folder": "INBOX", "after_taking": "seen",
            "move_to": "", "is_active": "on"}

    response = admin_client.post(f"/admin/inbox/mailbox/{mailbox.pk}/change/", data)

    mailbox.refresh_from_db()
    assert response.status_code == 302 and (mailbox.host, mailbox.password) == ("imap2.example.com", SECRET)


def test_moving_needs_a_folder_and_a_new_mailbox_needs_a_password(admin_client):
    data = {"name": "New", "host": "imap.example.com", "port": 993, "security": "ssl", "username": "u",
            "password": "", "folder": "INBOX", "after_taking": "move", "move_to": "", "is_active": "on"}

    response = admin_client.post("/admin/inbox/mailbox/add/", data)

    errors = response.context["adminform"].form.errors
    assert set(errors) == {"password", "move_to"} and Mailbox.objects.count() == 0
    assert errors["password"] == ["Enter the password: it is needed to connect."]


def test_a_password_no_key_opens_is_explained_not_a_500(admin_client):
    with override_settings(SECRET_KEY="the secret key of a data directory that was lost"):
        Mailbox.objects.create(name="Old", host="imap.example.com", username="old@example.com", password=SECRET)
    mailbox = Mailbox.objects.get(name="Old")

    listing = admin_client.get("/admin/inbox/mailbox/")
    form = admin_client.get(f"/admin/inbox/mailbox/{mailbox.pk}/change/")

    assert listing.status_code == form.status_code == 200
    assert "cannot be decrypted: enter it again" in listing.content.decode()
    assert "cannot be decrypted with the configured keys" in form.content.decode()
    with pytest.raises(SecretUnreadable, match="The password of mailbox “Old"):
        mailbox.password  # noqa: B018


def test_staff_download_the_raw_message_and_attachments_as_files(admin_client, sales):
    raw = build(body=BODY, attachments=(("page.html", "text/html", b"<script>alert(1)</script>"),))
    email = services.take_email(raw=raw, via="smtp", envelope_from="a@b")
    attachment = email.attachments.get()

    eml = admin_client.get(f"/admin/inbox/incomingemail/{email.pk}/eml/")
    file = admin_client.get(f"/admin/inbox/incomingemail/{email.pk}/attachment/{attachment.pk}/")
    page = admin_client.get(f"/admin/inbox/incomingemail/{email.pk}/change/")

    assert eml.status_code == 200 and eml.content == raw and eml["Content-Type"] == "message/rfc822"
    assert file["Content-Type"] == "application/octet-stream" and file["Content-Disposition"].startswith("attachment")
    assert b"".join(file.streaming_content) == b"<script>alert(1)</script>"
    assert page.status_code == 200 and "page.html" in page.content.decode()


def test_managers_cannot_download_messages(alice, sales):
    email = services.take_email(raw=build(body=BODY), via="smtp", envelope_from="a@b")
    client = HttpClient()
    client.force_login(alice)

    response = client.get(f"/admin/inbox/incomingemail/{email.pk}/eml/")

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_longest_password_in_any_script_fits_its_column():
    longest = "𝄞" * Mailbox._meta.get_field("password").max_length  # 4 bytes a character: the longest token

    mailbox = Mailbox.objects.create(name="Long", host="imap.example.com", username="u", password=longest)

    assert Mailbox.objects.get(pk=mailbox.pk).password == longest
