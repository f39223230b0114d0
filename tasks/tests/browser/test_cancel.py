"""Cancel asks first, in the page: Escape, a second click or "Keep it running" dismiss the
question and the run goes on; "Yes, stop it" cancels. No browser dialog is opened."""

from playwright.sync_api import expect

from tasks import services
from tasks.models import Status, Task
from tasks.tests.helpers import wait_finished, wait_for


def test_cancel_asks_first_and_each_way_out_keeps_the_run(
    page, live_server, sign_in, user, engine, dialogs, tmp_path
):
    task = services.execute(user, "sleeper", {"pidfile": str(tmp_path / "pid")})
    wait_for(lambda: Task.objects.get(pk=task.pk).status == Status.RUNNING, message="running")
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    panel = page.locator("[data-run]")
    ask = panel.get_by_role("button", name="Cancel")
    yes = panel.get_by_role("button", name="Yes, stop it")
    expect(yes).to_be_hidden()

    ask.click()
    expect(yes).to_be_visible()
    expect(yes).to_be_focused()
    expect(ask).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(yes).to_be_hidden()
    expect(ask).to_be_focused()

    ask.click()
    ask.click()  # a second click dismisses
    expect(yes).to_be_hidden()

    ask.click()
    panel.get_by_role("button", name="Keep it running").click()
    expect(yes).to_be_hidden()

    page.wait_for_timeout(300)
    assert Task.objects.get(pk=task.pk).status == Status.RUNNING
    assert Task.objects.get(pk=task.pk).cancel_requested_at is None

    ask.click()
    yes.click()
    expect(panel.locator('[data-bind="status"]')).to_have_text("Cancelled", timeout=15_000)
    assert wait_finished(task.pk).status == Status.CANCELLED
    assert dialogs == []
