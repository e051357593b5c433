"""Working a client in a real browser: the lead converts, the client has its first task, a call is logged on the
client card and the task is completed there with the next one (DOMAIN.md 11-13)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadflow.clients.models import Client
from leadflow.leads.models import Activity, Task

from .conftest import Site
from .test_ui import DEMO, MOSCOW, card_action, give, seed

pytestmark = pytest.mark.browser


def test_convert_then_log_a_call_and_complete_the_clients_first_task(site: Site, web_form, alice):
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    card_action(page, "Convert into a client").get_by_role("button", name="Convert").click()

    client = Client.objects.get(lead=lead)
    card_url = f"{site.url}/clients/{client.pk}/"
    expect(page).to_have_url(card_url)
    first = Task.objects.get(client=client)
    task = page.get_by_test_id("client-task").filter(has_text="Call the new client")
    expect(task).to_contain_text("Call the new client: ООО Ромашка")
    expect(task).to_contain_text("Alice")

    # A call, logged on the client's card.
    log = page.locator(f"form[action='/clients/{client.pk}/activity/']")
    log.get_by_label("What").select_option(label="Call")
    log.get_by_label("Subject").fill("Welcome call: the contract goes out today")
    log.get_by_label("Duration, min").fill("6")
    log.get_by_role("button", name="Log").click()
    expect(page.locator(".messages")).to_contain_text("Logged.")
    expect(page).to_have_url(card_url)
    expect(page.get_by_test_id("client-timeline")).to_contain_text("Welcome call: the contract goes out today")
    expect(page.get_by_test_id("client-timeline")).to_contain_text("6 min")

    # The first task done, with the next one, from the same card.
    tomorrow = timezone.localdate(timezone=MOSCOW) + timedelta(days=1)
    task = page.get_by_test_id("client-task").filter(has_text="Call the new client")
    task.get_by_text("Complete").click()
    task.get_by_label("Result").fill("Welcomed; sending the contract")
    task.get_by_label("Next task", exact=True).fill("Check the signed contract")
    task.get_by_label("Next task due").fill(f"{tomorrow.isoformat()}T12:00")
    task.get_by_role("button", name="Done").click()
    expect(page.locator(".messages")).to_contain_text("Task completed.")
    expect(page).to_have_url(card_url)
    tasks = page.get_by_test_id("client-task")
    expect(tasks.filter(has_text="Call the new client")).to_contain_text("Welcomed; sending the contract")
    expect(tasks.filter(has_text="Check the signed contract")).to_have_count(1)
    site.screenshot(me, "client-work")

    # The next task is in Alice's tasks, one click from the client card.
    page.goto(f"{site.url}/tasks/")
    upcoming = page.locator("section").filter(has=page.get_by_role("heading", name=re.compile("^Upcoming")))
    row = upcoming.get_by_test_id("task").filter(has_text="Check the signed contract")
    row.get_by_role("link", name="ООО Ромашка").click()
    expect(page).to_have_url(card_url)

    first.refresh_from_db()
    assert first.completed_at is not None and first.result == "Welcomed; sending the contract"
    following = Task.objects.get(previous=first)
    assert (following.client, following.assignee, following.lead) == (client, alice, None)
    assert following.due_at == datetime.combine(tomorrow, time(12, 0), tzinfo=MOSCOW)
    call = Activity.objects.get(client=client, kind="call")
    assert (call.author, call.duration_seconds) == (alice, 360)


def test_a_task_given_on_a_colleagues_client_is_worked_from_my_tasks(site: Site, web_form, head, alice, bob):
    from leadflow.leads import services

    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    client = services.convert_lead(lead=lead, by=alice)
    card_url = f"{site.url}/clients/{client.pk}/"

    # The head gives Bob a task on Alice's client, from the card.
    boss = site.new_page()
    site.login(boss, "head")
    page = boss.page
    page.goto(card_url)
    form = card_action(page, "Add a task")
    form.get_by_label("Task").fill("Help Alice with the contract")
    form.get_by_label("For").select_option(label="Bob")
    form.get_by_role("button", name="Add").click()
    expect(page.locator(".messages")).to_contain_text("Task added.")

    # Bob opens the client from his tasks, logs the call and completes the task there.
    me = site.new_page()
    site.login(me, "bob")
    page = me.page
    page.goto(f"{site.url}/tasks/")
    row = page.get_by_test_id("task").filter(has_text="Help Alice with the contract")
    row.get_by_role("link", name="ООО Ромашка").click()
    expect(page).to_have_url(card_url)
    expect(page.get_by_test_id("client-name")).to_have_text("ООО Ромашка")
    expect(page.locator(f"form[action='/clients/{client.pk}/task/']")).to_have_count(0)  # not his to plan
    log = page.locator(f"form[action='/clients/{client.pk}/activity/']")
    log.get_by_label("Subject").fill("Went through the contract with them")
    log.get_by_role("button", name="Log").click()
    expect(page.get_by_test_id("client-timeline")).to_contain_text("Went through the contract with them")
    task = page.get_by_test_id("client-task").filter(has_text="Help Alice with the contract")
    task.get_by_text("Complete").click()
    task.get_by_label("Result").fill("Contract agreed")
    task.get_by_role("button", name="Done").click()
    # His last task there is done: he is back in his tasks, not on a page that no longer opens to him.
    expect(page).to_have_url(f"{site.url}/tasks/")
    expect(page.locator(".messages")).to_contain_text("Task completed.")
    assert page.goto(card_url).status == 404

    done = Task.objects.get(client=client, title="Help Alice with the contract")
    assert (done.assignee, done.result) == (bob, "Contract agreed")
    assert Activity.objects.get(client=client, author=bob).subject == "Went through the contract with them"
