"""Password guessing and reset floods: a user name is paused from one address after repeated wrong passwords
(django-axes); reset mails are counted per mailbox and per sender."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

OFFICE = "203.0.113.10"
HOME = "198.51.100.7"


def _login(username: str, password: str, address: str = OFFICE, client: Client | None = None):
    client = client or Client()
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _guess(username: str, times: int, address: str = OFFICE) -> None:
    for n in range(times):
        response = _login(username, f"wrong-{n}", address)
        if n + 1 < settings.AXES_FAILURE_LIMIT:
            assert response.status_code == 200, "a wrong password is the login page again, with its error"
            assert b"Wrong user name or password." in response.content
        else:
            assert response.status_code == 429, "the try that reaches the limit already says so"


def test_the_right_password_after_a_few_typos_logs_in(alice):
    _guess("alice", settings.AXES_FAILURE_LIMIT - 1)
    client = Client()
    response = _login("alice", "pw", client=client)
    assert response.status_code == 302
    assert client.get("/tasks/").status_code == 200
    # A success forgets the typos: the next typos count from zero.
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_page(alice):
    _guess("alice", settings.AXES_FAILURE_LIMIT)
    client = Client()
    response = _login("alice", "pw", client=client)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page
    assert f"Try again in {settings.AXES_COOLOFF_TIME.total_seconds() // 60:.0f} minutes" in page
    assert "_auth_user_id" not in client.session
    assert client.get("/tasks/").url.startswith("/login/"), "not logged in"


def test_the_pause_is_per_user_name_and_address(alice, bob):
    _guess("alice", settings.AXES_FAILURE_LIMIT)
    # Bob in the same office (behind the same address) is not locked out by Alice's typos...
    assert _login("bob", "pw").status_code == 302
    # ...and a guesser elsewhere cannot lock Alice out of her own office.
    assert _login("alice", "pw", HOME).status_code == 302
    assert _login("alice", "pw", OFFICE).status_code == 429


def test_a_client_cannot_dodge_the_count_with_its_own_forwarded_for_header(alice):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client = Client(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        _login("alice", f"wrong-{n}", client=client)
    assert _login("alice", "pw", client=Client(HTTP_X_FORWARDED_FOR="10.0.0.99")).status_code == 429


def test_the_pause_ends_after_the_cool_off(alice):
    _guess("alice", settings.AXES_FAILURE_LIMIT)
    assert _login("alice", "pw").status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _login("alice", "pw").status_code == 302


def test_an_admin_lifts_the_pause_by_deleting_the_attempt(alice, admin_user):
    _guess("alice", settings.AXES_FAILURE_LIMIT)
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and b"alice" in listing.content
    attempt = AccessAttempt.objects.get(username="alice")
    response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _login("alice", "pw").status_code == 302


def test_the_admin_login_counts_too(alice, admin_user):
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/admin/login/", {"username": "admin", "password": f"wrong-{n}"}, REMOTE_ADDR=OFFICE)
    assert _login("admin", "pw").status_code == 429


def test_the_page_is_in_russian_for_a_russian_browser(alice):
    _guess("alice", settings.AXES_FAILURE_LIMIT)
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").post("/login/", {"username": "alice", "password": "pw"},
                                                       REMOTE_ADDR=OFFICE)
    assert response.status_code == 429
    assert "Слишком много попыток" in response.content.decode()


def test_the_reset_form_cannot_flood_a_mailbox(alice):
    from django.core import mail

    sent = []
    for n in range(settings.LEADFLOW_PASSWORD_RESET_PER_EMAIL + 2):
        # Each from another address: the count follows the mailbox typed, in any letter case.
        typed = "Alice@Example.com" if n % 2 else "alice@example.com"
        response = Client().post("/account/password_reset/", {"email": typed}, REMOTE_ADDR=f"198.51.100.{n}")
        sent.append(response.status_code)
    assert sent[: settings.LEADFLOW_PASSWORD_RESET_PER_EMAIL] == [302] * settings.LEADFLOW_PASSWORD_RESET_PER_EMAIL
    assert set(sent[settings.LEADFLOW_PASSWORD_RESET_PER_EMAIL:]) == {429}
    assert len(mail.outbox) == settings.LEADFLOW_PASSWORD_RESET_PER_EMAIL
    assert "Too many reset requests. Try again in" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_the_reset_answer_over_the_limit_is_the_same_for_an_unknown_address(alice):
    statuses = []
    for n in range(settings.LEADFLOW_PASSWORD_RESET_PER_IP + 1):
        statuses.append(Client().post("/account/password_reset/", {"email": f"nobody{n}@example.com"},
                                      REMOTE_ADDR=HOME).status_code)
    assert statuses[:-1] == [302] * settings.LEADFLOW_PASSWORD_RESET_PER_IP, "unknown addresses look sent"
    assert statuses[-1] == 429, "one sender's address is limited too"
    # A colleague elsewhere can still reset.
    assert Client().post("/account/password_reset/", {"email": "alice@example.com"},
                         REMOTE_ADDR=OFFICE).status_code == 302


def test_the_worker_forgets_old_login_records_and_keeps_recent_ones(alice, monkeypatch):
    from axes.models import AccessLog
    from django.utils import timezone

    from leadflow.accounts import lockout
    from leadflow.worker import run_periodic

    monkeypatch.setattr(lockout.PRUNE, "last", None)
    assert _login("alice", "pw").status_code == 302
    recent = AccessLog.objects.get(username="alice")
    old = AccessLog.objects.create(username="alice", ip_address=OFFICE, user_agent="", path_info="/login/")
    AccessLog.objects.filter(pk=old.pk).update(
        attempt_time=timezone.now() - timedelta(days=settings.LEADFLOW_LOGIN_LOG_DAYS + 1))
    assert run_periodic()["login_log_pruned"] == 1
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert run_periodic()["login_log_pruned"] == 0, "once an hour, not every tick"
