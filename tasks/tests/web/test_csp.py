"""Every page we serve runs under a strict Content Security Policy: no inline scripts,
styles or event handlers (they would be blocked), and the header on every answer."""

from html.parser import HTMLParser

import pytest

from tasks import services
from tasks.models import AuditEvent

pytestmark = pytest.mark.django_db

# Add every new page here (the dashboard's history page, ...).
PAGES = [
    "/accounts/login/",
    "/",
    "/?script=echo",
    "/tasks/{run}/",
    "/history/",
    "/history/?status=failed&ordering=-duration&q=xyz",  # a search needs 3 characters
    "/api/docs/",
    "/admin/",
    "/admin/tasks/auditevent/",
    "/admin/tasks/auditevent/{event}/change/",
    "/admin/authtoken/tokenproxy/",
    "/admin/authtoken/tokenproxy/add/",
    "/admin/auth/user/",
    "/admin/tasks/task/",
    "/admin/tasks/task/{run}/change/",
    "/admin/tasks/scriptcatalog/",
    "/admin/tasks/retentionpass/",
]
DATA_SCRIPT_TYPES = {"application/json"}  # data blocks (json_script): never executed


class InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        where = self.getpos()
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{where}: <{tag} {name}=...> (an inline event handler)")
            if name == "style":
                self.problems.append(f"{where}: <{tag} style=...> (an inline style)")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"{where}: <{tag} {name}=javascript:...>")
        if tag == "style":
            self.problems.append(f"{where}: <style> (an inline style sheet)")
        if tag == "script":
            inline = "src" not in attributes
            data = attributes.get("type") in DATA_SCRIPT_TYPES
            self._script = where if inline and not data else None

    def handle_data(self, data):
        if self._script is not None and data.strip():
            self.problems.append(f"{self._script}: an inline <script>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def inline_code(html):
    finder = InlineFinder()
    finder.feed(html)
    return finder.problems


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def ids(admin_user):
    run = services.execute(admin_user, "echo", {}, [])
    return {"run": run.pk, "event": AuditEvent.objects.get().pk}


@pytest.mark.parametrize("page", PAGES)
def test_the_page_has_no_inline_script_style_or_handler(admin_client, ids, page):
    response = admin_client.get(page.format(**ids))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert inline_code(response.content.decode()) == []


def test_the_purge_confirmation_page_is_clean_too(admin_client, ids):
    response = admin_client.post(
        "/admin/tasks/task/", {"action": "purge_selected", "_selected_action": [ids["run"]]}
    )
    assert response.status_code == 200
    assert b"Purge" in response.content
    assert inline_code(response.content.decode()) == []


def test_a_form_with_errors_is_clean_too(admin_client):
    response = admin_client.post("/run/echo/", {"param_count": "many"})
    assert response.status_code == 400
    assert inline_code(response.content.decode()) == []


def test_the_finder_finds_what_it_looks_for():
    html = (
        '<script>alert(1)</script><p style="color:red" onclick="x()">'
        '<a href="javascript:x()">x</a><style>p{}</style>'
        '<script src="/ok.js"></script><script type="application/json">{"a": 1}</script>'
    )
    assert len(inline_code(html)) == 5


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/health", "/api/tasks"])
def test_every_answer_carries_the_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
