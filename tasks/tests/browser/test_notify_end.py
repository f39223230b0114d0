"""A browser notification when a run you started ends: offered to whoever started it,
never asked for by default, one notification with the status and the script once asked
for, none in a tab that did not ask or for a run someone else started.

The browser grants notifications up front (a context permission); a page script wraps
window.Notification to record what the page asks for and shows."""

from django.test import Client
from playwright.sync_api import expect

from tasks import services
from tasks.models import Status, Task
from tasks.tests.helpers import wait_for

RECORD = """
(() => {
  const Real = window.Notification;
  window.notifications = [];
  window.permissionAsks = 0;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.notifications.push([title, (options && options.body) || ""]);
    }
    static requestPermission(...args) {
      window.permissionAsks++;
      return Real.requestPermission(...args);
    }
  }
  window.Notification = Recorded;
})();
"""


def signed_in_page(browser, live_server, user):
    """A page in a context of its own, signed in as `user`, recording notifications."""
    context = browser.new_context(permissions=["notifications"])
    context.add_init_script(RECORD)
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


def recorded(page):
    return page.evaluate("[window.permissionAsks, window.notifications]")


def test_only_the_starter_who_asked_is_notified_when_the_run_ends(
    browser, live_server, user, admin_user, engine, tmp_path
):
    task = services.execute(user, "sleeper", {"pidfile": str(tmp_path / "pid")})
    wait_for(lambda: Task.objects.get(pk=task.pk).status == Status.RUNNING, message="running")
    url = f"{live_server.url}/tasks/{task.pk}/"
    notify = {"role": "button", "name": "Notify me when it ends"}

    asking = signed_in_page(browser, live_server, user)
    asking.goto(url)
    button = asking.get_by_role(**notify)
    expect(button).to_have_attribute("aria-pressed", "false")
    assert recorded(asking) == [0, []]  # nothing asked, nothing shown by default
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(asking.get_by_text("You will be notified when it ends.")).to_be_visible()

    not_asking = asking.context.new_page()  # the same person, another tab, not asked
    not_asking.goto(url)
    expect(not_asking.get_by_role(**notify)).to_have_attribute("aria-pressed", "false")

    someone_else = signed_in_page(browser, live_server, admin_user)  # sees every run
    someone_else.goto(url)
    expect(someone_else.locator('[data-bind="status"]')).to_have_text("Running")
    expect(someone_else.locator('[data-action="notify"]')).to_have_count(0)

    services.cancel(user, Task.objects.get(pk=task.pk))
    for page in (asking, not_asking, someone_else):
        expect(page.locator('[data-bind="status"]')).to_have_text("Cancelled", timeout=15_000)
    asking.wait_for_function("window.notifications.length > 0")
    asks, shown = recorded(asking)
    assert asks == 0
    assert len(shown) == 1
    title, _ = shown[0]
    assert title == f"Cancelled: sleeper {task.short_id}"
    expect(button).to_be_hidden()
    assert recorded(not_asking) == [0, []]
    assert recorded(someone_else) == [0, []]
    for page in (asking, someone_else):
        page.context.close()
