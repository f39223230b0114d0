"""The history table in a real browser: filters and sorting kept in the URL, live rows."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tasks.models import LogChunk, Status, Task
from tasks.tests.factories import make_task


def rows(page):
    return page.locator("table.runs tbody tr[data-task]")


def test_filters_and_sorting_narrow_the_table_and_stay_in_the_url(page, live_server, sign_in, user):
    now = timezone.now()
    make_task(user, script="lines", status=Status.FAILED, created_at=now - timedelta(minutes=3))
    make_task(user, script="echo", status=Status.SUCCESS, created_at=now - timedelta(minutes=2))
    make_task(user, script="fail", status=Status.FAILED, created_at=now - timedelta(minutes=1))
    sign_in(page, user)
    page.goto(f"{live_server.url}/history/")
    expect(rows(page)).to_have_count(3)

    page.get_by_label("Failed").check()
    page.get_by_role("button", name="Apply").click()
    expect(rows(page)).to_have_count(2)
    assert "status=failed" in page.url
    expect(rows(page).first).to_contain_text("fail")  # newest first

    page.get_by_role("link", name="Script", exact=True).click()
    assert "ordering=script" in page.url
    assert "status=failed" in page.url  # the filter survives the sort
    expect(rows(page).nth(0)).to_contain_text("fail")
    expect(rows(page).nth(1)).to_contain_text("lines")
    expect(page.locator('th[aria-sort="ascending"]')).to_have_text("Script")

    page.get_by_role("link", name="Script", exact=True).click()
    expect(page.locator('th[aria-sort="descending"]')).to_have_text("Script")
    expect(rows(page).nth(0)).to_contain_text("lines")

    page.reload()  # a bookmarked view comes back the same
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_label("Failed")).to_be_checked()

    page.get_by_label("Search").fill("echo")
    page.get_by_label("Failed").uncheck()
    page.get_by_role("button", name="Apply").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("echo")


def test_a_running_rows_status_and_progress_change_without_a_reload(
    page, live_server, sign_in, user
):
    task = make_task(user, script="lines", status=Status.RUNNING, progress=10)
    sign_in(page, user)
    page.goto(f"{live_server.url}/history/")
    row = page.locator(f'tr[data-task="{task.pk}"]')
    expect(row.locator('[data-cell="progress"]')).to_have_text("10 %")
    Task.objects.filter(pk=task.pk).update(progress=60)
    expect(row.locator('[data-cell="progress"]')).to_have_text("60 %")
    Task.objects.filter(pk=task.pk).update(
        status=Status.SUCCESS, progress=100, completed_at=timezone.now()
    )
    expect(row.locator('[data-cell="status"]')).to_have_text("Success")
    expect(row).not_to_have_attribute("data-active", "")
    assert not LogChunk.objects.exists()
