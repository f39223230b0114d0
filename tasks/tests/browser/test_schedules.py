"""The Schedules pages in Chromium: a schedule made from the form (checked as it is
typed, its next firings shown before saving) fires its first run; deleting one asks on a
page, never with the browser's confirm()."""

import time

from django.utils import timezone
from playwright.sync_api import expect

from tasks.models import Schedule, Status, Task
from tasks.services import schedules


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_create_a_schedule_see_its_next_firings_and_watch_its_first_run(
    page, live_server, sign_in, user, engine
):
    sign_in(page, user)
    page.goto(f"{live_server.url}/schedules/")
    page.get_by_role("link", name="New schedule").click()
    page.get_by_label("Script", exact=True).select_option("echo")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Name", exact=True).fill("hourly hello")
    # Checked as it is typed: a bad expression's message appears beside its field.
    cron = page.get_by_label("Cron expression", exact=True)
    cron.fill("61 * * * *")
    cron_field = page.locator(".field", has=cron)
    expect(cron_field.locator(".errorlist")).to_contain_text("is not a cron expression")
    expect(page.locator("[data-preview-list] li")).to_have_count(0)
    cron.fill("30 7 * * 1-5")
    expect(cron_field.locator(".errorlist")).to_have_count(0)
    page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
    preview = page.locator("[data-preview-timetable]")
    expect(preview).to_have_text("At 07:30, Monday through Friday (Europe/Berlin)")
    expect(page.locator("[data-preview-list] li")).to_have_count(5)
    # An interval: due at once, then every hour.
    page.get_by_label("every N seconds").check()
    expect(cron).to_be_hidden()
    page.get_by_label("Every", exact=True).fill("1")
    page.get_by_label("Unit").select_option("hours")
    expect(preview).to_have_text("every hour")
    expect(page.locator("[data-preview-list] li")).to_have_count(5)
    page.get_by_label("Greeting", exact=True).fill("from a schedule")
    assert not Schedule.objects.exists()  # nothing saved before the button
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_role("status").first).to_contain_text("Schedule “hourly hello” saved")
    card = page.locator("[data-schedule]", has_text="hourly hello")
    expect(card.locator("[data-timetable]")).to_have_text("every hour")
    schedule = Schedule.objects.get()
    assert schedule.interval_seconds == 3600
    assert wait_until(lambda: Task.objects.filter(schedule=schedule, status=Status.SUCCESS))
    page.reload()
    last = page.locator("[data-schedule]", has_text="hourly hello").locator("[data-last-run]")
    expect(last.locator(".badge")).to_have_text("Success")
    last.get_by_role("link").first.click()
    expect(page.locator(".run-meta")).to_contain_text("hourly hello")


def test_a_failed_submit_shows_every_error_and_keeps_the_values(page, live_server, sign_in, user):
    sign_in(page, user)
    page.goto(f"{live_server.url}/schedules/new/?script=echo")
    page.get_by_label("Cron expression", exact=True).fill("nope")
    page.get_by_label("Time zone", exact=True).fill("Mars/Olympus")
    page.get_by_label("Count", exact=True).fill("99")
    page.get_by_role("button", name="Save the schedule").click()
    for label, message in (
        ("Cron expression", "is not a cron expression"),
        ("Time zone", "Unknown time zone"),
        ("Count", "at most 10"),
    ):
        field = page.locator(".field", has=page.get_by_label(label, exact=True))
        expect(field.locator(".errorlist")).to_contain_text(message)
    expect(page.get_by_label("Cron expression", exact=True)).to_have_value("nope")
    expect(page.get_by_label("Count", exact=True)).to_have_value("99")
    assert not Schedule.objects.exists()


def test_delete_asks_on_a_page_not_in_a_dialog(page, live_server, sign_in, user, dialogs):
    schedules.create(user, {"script": "echo", "kind": "cron", "cron": "@daily", "name": "daily"})
    sign_in(page, user)
    page.goto(f"{live_server.url}/schedules/")
    page.get_by_role("link", name="Delete daily").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the schedule “daily”?")
    assert Schedule.objects.exists()
    page.get_by_role("button", name="Delete it").click()
    expect(page.get_by_role("status").first).to_contain_text("deleted")
    assert not Schedule.objects.exists()
    assert dialogs == []


def test_the_list_shows_a_firing_and_its_run_without_reload(
    page, live_server, sign_in, user, engine
):
    schedule = schedules.create(
        user, {"script": "echo", "kind": "cron", "cron": "@daily", "name": "nightly"}
    )
    sign_in(page, user)
    page.goto(f"{live_server.url}/schedules/")
    card = page.locator("[data-schedule]", has_text="nightly")
    expect(card.locator("[data-last-run]")).to_have_text("None yet.")
    page.evaluate("window.notReloaded = true")
    first_due = card.locator("[data-upcoming] time").first.get_attribute("datetime")
    # Due now: the engine's scheduler fires it and the run goes to its end.
    Schedule.objects.filter(pk=schedule.pk).update(next_fire_at=timezone.now())
    expect(card.locator("[data-last-run] .badge")).to_have_text("Success", timeout=30_000)
    assert page.evaluate("window.notReloaded") is True
    run = Task.objects.get(schedule=schedule)
    expect(card.locator("[data-last-run]")).to_contain_text(run.short_id)
    expect(page.locator("#announcer")).to_contain_text("nightly: last run")
    # The due time was moved, not the timetable: the next firing is the daily one again.
    assert card.locator("[data-upcoming] time").first.get_attribute("datetime") == first_due


def test_moving_a_schedule_to_another_script_shows_its_parameters_first(
    page, live_server, sign_in, user
):
    schedule = schedules.create(
        user, {"script": "echo", "kind": "cron", "cron": "@daily", "params": {"count": 4}}
    )
    sign_in(page, user)
    page.goto(f"{live_server.url}/schedules/{schedule.pk}/edit/")
    # The preview is live here, so its no-JavaScript button is not shown.
    expect(page.get_by_role("button", name="Preview next firings")).to_be_hidden()
    page.get_by_label("Script", exact=True).select_option("lines")
    script_field = page.locator(".field", has=page.get_by_label("Script", exact=True))
    expect(script_field.locator(".errorlist")).to_contain_text("Use this script")
    page.get_by_role("button", name="Use this script").click()
    expect(page.get_by_role("heading", name="Parameters of")).to_have_text("Parameters of Lines")
    expect(page.get_by_label("Count", exact=True)).to_have_value("4")  # shared: kept
    assert Schedule.objects.get().script == "echo"  # nothing saved yet
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_role("status").first).to_contain_text("saved")
    saved = Schedule.objects.get()
    assert (saved.script, saved.params["count"]) == ("lines", 4)
