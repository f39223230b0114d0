"""Signing in with a directory account in Chromium, against a real slapd (the LDAP tests'
fixtures): the role from a nested group, and the page's message for a refused name,
which passes axe in both colour schemes."""

from playwright.sync_api import expect

from tasks.tests.ldap import conftest as ldap_tests
from tasks.web.ldap_backend import NAME_REFUSED

# The LDAP tests' fixtures: the session's slapd, and the site pointed at it.
shared_directory = ldap_tests.shared_directory
directory = ldap_tests.directory
use_directory = ldap_tests.use_directory


def sign_in_on_the_page(page, url, username, password):
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def test_a_directory_user_signs_in_with_the_role_of_a_nested_group(
    page,
    live_server,
    directory,
    use_directory,
):
    use_directory(directory)
    sign_in_on_the_page(page, live_server.url, "bob", "bob-pw")
    expect(page).to_have_url(f"{live_server.url}/")
    # bob is staff through leads, a member of admins: the staff's admin link is there.
    expect(page.get_by_role("link", name="Admin")).to_be_visible()


def test_an_ldap_filter_in_the_user_name_is_refused_on_the_page(
    page,
    live_server,
    directory,
    use_directory,
    axe,
):
    use_directory(directory)
    sign_in_on_the_page(page, live_server.url, "*)(uid=*", "anything")
    expect(page.get_by_role("alert")).to_contain_text(NAME_REFUSED)
    axe(page)
