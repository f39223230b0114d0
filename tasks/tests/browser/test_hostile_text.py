"""Hostile text in user names, parameters and output renders as text in a real browser,
and our pages (Swagger UI included) run without a single Content Security Policy error."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tasks import services
from tasks.models import Status, Task

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "<img src=x onerror=alert('name')>"
PARAM = "<svg onload=alert('param')>"
ARG = "<script>alert('arg')</script>"
OUTPUT = "\"><iframe src=javascript:alert('out')>"


@pytest.fixture
def watched(page):
    """The page, with every dialog and CSP complaint it produces collected."""
    seen = {"dialogs": [], "csp": []}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    def on_console(message):
        if "Content Security Policy" in message.text:
            seen["csp"].append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    return page, seen


@pytest.fixture
def hostile_run(inline):
    mallory = User.objects.create_user(NAME, password="mallory-password-1")
    task = services.execute(mallory, "echo", {"greeting": PARAM}, [ARG, OUTPUT])
    task = Task.objects.get(pk=task.pk)
    assert task.status == Status.SUCCESS
    return mallory, task


def test_hostile_text_in_names_parameters_and_output_is_shown_as_text(
    live_server, sign_in, watched, hostile_run
):
    page, seen = watched
    mallory, task = hostile_run
    sign_in(page, mallory)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    body = page.locator("main")
    expect(body).to_contain_text(NAME)
    expect(body).to_contain_text(f"--greeting={PARAM}")
    expect(page.locator(".log")).to_contain_text(ARG)
    expect(page.locator(".log")).to_contain_text(OUTPUT.replace('"', '\\"'))
    page.goto(f"{live_server.url}/")
    expect(page.locator("table")).to_contain_text(NAME)
    page.wait_for_timeout(200)  # an injected handler would have fired by now
    assert page.locator("img[src=x], svg[onload], iframe, main script").count() == 0
    assert seen == {"dialogs": [], "csp": []}


def test_the_admin_lists_a_hostile_user_name_as_text(
    live_server, sign_in, watched, hostile_run, admin_user
):
    page, seen = watched
    sign_in(page, admin_user)
    page.goto(f"{live_server.url}/admin/tasks/auditevent/")
    expect(page.locator("#result_list")).to_contain_text(NAME)
    page.wait_for_timeout(200)
    assert page.locator("#result_list img, #result_list script").count() == 0
    assert seen == {"dialogs": [], "csp": []}


def test_swagger_ui_works_under_the_content_security_policy(live_server, sign_in, watched, user):
    page, seen = watched
    sign_in(page, user)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Executor API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert seen["csp"] == []
