"""The run form in a browser: every error at once beside its field, values kept, and a
form prefilled from a link."""

from playwright.sync_api import expect

from tasks.models import Task


def test_every_error_shows_at_once_and_the_values_stay(page, live_server, sign_in, user):
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=echo")
    page.get_by_label("Count").fill("11")
    page.get_by_label("Mood").fill("NOT lower")
    page.get_by_label("Greeting").fill("kept")
    page.get_by_role("button", name="Execute").click()
    expect(
        page.locator(".field", has=page.get_by_label("Count")).locator(".errorlist")
    ).to_be_visible()
    expect(
        page.locator(".field", has=page.get_by_label("Mood")).locator(".errorlist")
    ).to_contain_text("Must match the pattern")
    expect(page.get_by_label("Greeting")).to_have_value("kept")
    expect(page.get_by_label("Mood")).to_have_value("NOT lower")
    assert not Task.objects.exists()


def test_a_link_prefills_the_form(page, live_server, sign_in, user):
    sign_in(page, user)
    page.goto(f"{live_server.url}/?script=echo&greeting=linked&count=4&color=green")
    expect(page.get_by_label("Greeting")).to_have_value("linked")
    expect(page.get_by_label("Count")).to_have_value("4")
    expect(page.get_by_label("Color")).to_have_value("green")
