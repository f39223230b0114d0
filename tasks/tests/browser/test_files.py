"""A run's files in a real browser: previews render, hostile files run nothing here."""

import pytest
from playwright.sync_api import expect

from tasks import services
from tasks.models import Artifact, Status, Task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched(page):
    seen = {"dialogs": [], "csp": []}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and seen["csp"].append(message),
    )
    return page, seen


@pytest.fixture
def files_run(inline, user):
    task = Task.objects.get(pk=services.execute(user, "files", {}, []).pk)
    assert task.status == Status.SUCCESS
    return task


def test_previews_render_and_no_script_of_a_file_runs_in_our_origin(
    live_server, sign_in, watched, files_run, user
):
    page, seen = watched
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{files_run.pk}/")
    expect(page.locator("[data-summary] strong").first).to_have_text("3 rows")
    image = page.locator("img.artifact-image")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('img.artifact-image').naturalWidth === 1")
    expect(page.locator("table.csv tbody tr")).to_have_count(2)
    expect(page.locator('[data-artifact="notes.md"] h1')).to_have_text("Notes")
    title = page.title()
    # A hostile HTML or SVG file, even opened directly, is a download, not a document here.
    for name in ("page.html", "logo.svg"):
        item = Artifact.objects.get(task=files_run, name=name)
        with page.expect_download() as download:
            page.evaluate(
                "url => { const a = document.createElement('a'); a.href = url; a.click(); }",
                f"/tasks/{files_run.pk}/files/{item.pk}/",
            )
        assert download.value.suggested_filename == name
    page.wait_for_timeout(200)
    assert page.title() == title
    assert page.locator("main script, main iframe, main svg script").count() == 0
    assert seen["dialogs"] == []
    assert seen["csp"] == []


def test_the_files_fit_a_phone(live_server, sign_in, files_run, user, page):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, user)
    page.goto(f"{live_server.url}/tasks/{files_run.pk}/")
    expect(page.locator("[data-files]")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_a_file_chosen_in_the_form_reaches_the_script(
    live_server, sign_in, user, engine, page, tmp_path
):
    table = tmp_path / "week.csv"
    table.write_text("day,total\nmon,3\n")
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=upload")
    page.get_by_label("Table").set_input_files(str(table))
    page.get_by_role("button", name="Execute").click()
    panel = page.locator("[data-run]")
    expect(panel.locator('[data-bind="status"]')).to_have_text("Success", timeout=20000)
    expect(panel.locator('[data-bind="log"]')).to_contain_text("day,total")
    task = Task.objects.get()
    assert task.params == {"table": ["week.csv"]}
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(page.locator(".uploads")).to_contain_text("week.csv")


def test_a_file_past_its_limit_is_refused_beside_its_field_before_it_is_sent(
    live_server, sign_in, user, page, tmp_path
):
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 5000)
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=upload")
    page.get_by_label("Table").set_input_files(str(big))
    field = page.locator(".field", has=page.get_by_label("Table"))
    expect(field.locator(".errorlist")).to_contain_text("big.csv is larger than 1000 bytes.")
    page.get_by_role("button", name="Execute").click()
    expect(page.get_by_label("Table")).to_have_attribute("aria-invalid", "true")
    assert "run=" not in page.url
    assert not Task.objects.exists()
