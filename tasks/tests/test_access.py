"""Who may reach what: one row per endpoint or page, one expected status per role.

Roles: anonymous; ordinary (alice: no groups, no permissions); permitted (dave: run any
script, view all runs, manage all runs; not staff); staff (carol: sees every run, may
manage none but her own); admin (a superuser). The runs: alice's own, and bob's.

To cover a new page or endpoint, add a row: method, URL (a function of the runs), the
status each role gets, and for actions the roles whose request must take effect.
API rows authenticate with a token, page rows with a session.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from tasks import services
from tasks.models import AuditEvent, Status, Task
from tasks.tests.conftest import token_client

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "ordinary", "permitted", "staff", "admin")
LOGIN = "login"  # a redirect to the sign-in page


def statuses(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES}


@dataclass
class Row:
    method: str
    url: object  # a function of the runs, or a fixed string
    expect: dict
    api: bool = False
    data: dict = field(default_factory=dict)
    # Roles whose request must change something (checked by `effect`).
    effective: tuple = ()
    effect: object = None

    def path(self, runs):
        return self.url(runs) if callable(self.url) else self.url

    @property
    def label(self):
        url = self.url if isinstance(self.url, str) else self.url(PLACEHOLDER)
        return f"{self.method} {url}"


PLACEHOLDER = SimpleNamespace(own="<own>", bobs="<bobs>")


class AdminAction(dict):
    """An admin changelist action on one of the runs (named "own" or "bobs")."""

    def __init__(self, action, run, **extra):
        super().__init__(action=action, **extra)
        self.run = run


def purged_own(runs):
    return not Task.objects.filter(pk=runs.own).exists()


def cancelled(runs):
    return Task.objects.get(pk=runs.bobs).status == Status.CANCELLED


def rerun_of_bobs(runs):
    return Task.objects.filter(rerun_of_id=runs.bobs).exists()


API = {"api": True}
ROWS = [
    # The API: everything but the health check needs a token or a session.
    Row("GET", "/api/health", statuses(200), **API),
    Row("GET", "/api/scripts", statuses(200, anonymous=401), **API),
    Row("GET", "/api/schema/", statuses(200, anonymous=401), **API),
    Row("GET", "/api/no/such/endpoint", statuses(404, anonymous=401), **API),
    Row(
        "POST",
        "/api/execute",
        statuses(201, anonymous=401),
        data={"script_type": "echo"},
        **API,
    ),
    Row(
        "POST",
        "/api/execute",
        # A script of the "club" group: unknown to those who may not run it.
        statuses(400, anonymous=401, permitted=201, admin=201),
        data={"script_type": "secret_club"},
        **API,
    ),
    Row("GET", "/api/tasks", statuses(200, anonymous=401), **API),
    Row("GET", lambda r: f"/api/tasks/{r.own}", statuses(200, anonymous=401), **API),
    Row(
        "GET",
        lambda r: f"/api/tasks/{r.bobs}",
        statuses(200, anonymous=401, ordinary=404),
        **API,
    ),
    Row(
        "GET",
        lambda r: f"/api/tasks/{r.bobs}/logs",
        statuses(200, anonymous=401, ordinary=404),
        **API,
    ),
    Row(
        "GET",
        lambda r: f"/api/tasks/{r.bobs}/logs?offset=0",
        statuses(200, anonymous=401, ordinary=404),
        **API,
    ),
    Row(
        "GET",
        lambda r: f"/api/tasks/{r.bobs}/logs/download",
        statuses(200, anonymous=401, ordinary=404),
        **API,
    ),
    Row(
        "POST",
        lambda r: f"/api/tasks/{r.bobs}/cancel",
        statuses(200, anonymous=401, ordinary=404, staff=403),
        effective=("permitted", "admin"),
        effect=cancelled,
        **API,
    ),
    Row(
        "POST",
        lambda r: f"/api/tasks/{r.bobs}/rerun",
        statuses(201, anonymous=401, ordinary=404, staff=403),
        effective=("permitted", "admin"),
        effect=rerun_of_bobs,
        **API,
    ),
    Row(
        "POST",
        lambda r: f"/api/tasks/{r.own}/cancel",
        # Alice's run has ended; staff may not touch it, the rest learn it is over.
        statuses(409, anonymous=401, staff=403),
        **API,
    ),
    # Pages: anonymous visitors are sent to the sign-in page.
    Row("GET", "/accounts/login/", statuses(200)),
    Row("GET", "/admin/login/", statuses(LOGIN)),
    Row("POST", "/accounts/logout/", statuses(302)),
    Row("GET", "/static/css/site.css", statuses(200)),
    Row("GET", "/api/docs/", statuses(200, anonymous=LOGIN)),
    Row("GET", "/", statuses(200, anonymous=LOGIN)),
    Row("POST", "/run/echo/", statuses(302, anonymous=LOGIN)),
    Row(
        "POST",
        "/run/secret_club/",
        statuses(404, anonymous=LOGIN, permitted=302, admin=302),
    ),
    Row("GET", lambda r: f"/tasks/{r.own}/", statuses(200, anonymous=LOGIN)),
    Row(
        "GET",
        lambda r: f"/tasks/{r.bobs}/",
        statuses(200, anonymous=LOGIN, ordinary=404),
    ),
    Row(
        "POST",
        lambda r: f"/tasks/{r.bobs}/cancel/",
        # Staff see the run but may not cancel it: back to its page with a message.
        statuses(302, anonymous=LOGIN, ordinary=404),
        effective=("permitted", "admin"),
        effect=cancelled,
    ),
    Row(
        "POST",
        lambda r: f"/tasks/{r.bobs}/rerun/",
        statuses(302, anonymous=LOGIN, ordinary=404),
        effective=("permitted", "admin"),
        effect=rerun_of_bobs,
    ),
    Row("GET", "/history/", statuses(200, anonymous=LOGIN)),
    Row("GET", lambda r: f"/tasks/states/?id={r.bobs}", statuses(200, anonymous=LOGIN)),
    Row("GET", lambda r: f"/tasks/{r.own}/log/", statuses(200, anonymous=LOGIN)),
    Row(
        "GET",
        lambda r: f"/tasks/{r.bobs}/log/",
        statuses(200, anonymous=LOGIN, ordinary=404),
    ),
    # The live stream of a finished run ends by itself; bob's run never starts here, so
    # his stream is checked through the polling fallback, which shares its access path.
    Row("GET", lambda r: f"/tasks/{r.own}/events/", statuses(200, anonymous=LOGIN)),
    Row(
        "GET",
        lambda r: f"/tasks/{r.bobs}/poll/?offset=0",
        statuses(200, anonymous=LOGIN, ordinary=404),
    ),
    # The admin: staff only; the audit trail only for those given its view permission.
    Row("GET", "/admin/", statuses(302, staff=200, admin=200)),
    Row("GET", "/admin/tasks/auditevent/", statuses(302, staff=403, admin=200)),
    Row("GET", "/admin/authtoken/tokenproxy/", statuses(302, staff=403, admin=200)),
    # Runs, the catalog and retention passes in the admin: staff need the model's view
    # permission; what they then see is still limited by tasks/access.py.
    Row("GET", "/admin/tasks/task/", statuses(302, staff=403, admin=200)),
    Row(
        "GET", lambda r: f"/admin/tasks/task/{r.bobs}/change/", statuses(302, staff=403, admin=200)
    ),
    Row("GET", "/admin/tasks/scriptcatalog/", statuses(302, staff=403, admin=200)),
    Row("GET", "/admin/tasks/retentionpass/", statuses(302, staff=403, admin=200)),
    Row(
        "POST",
        "/admin/tasks/task/",
        statuses(302, staff=403),
        data=AdminAction("cancel_selected", "bobs"),
        effective=("admin",),
        effect=cancelled,
    ),
    Row(
        "POST",
        "/admin/tasks/task/",
        statuses(302, staff=403),
        data=AdminAction("purge_selected", "own", confirm="yes"),
        effective=("admin",),
        effect=purged_own,
    ),
]


@pytest.fixture
def people(user, other_user, staff, admin_user, club):
    dave = User.objects.create_user("dave", "dave@example.com", "dave-password-1")
    dave.user_permissions.set(
        Permission.objects.filter(
            codename__in=["run_any_script", "view_all_runs", "manage_all_runs"]
        )
    )
    return {"ordinary": user, "permitted": dave, "staff": staff, "admin": admin_user}


@pytest.fixture
def runs(user, other_user):
    own = services.execute(user, "echo", {}, [])
    own.finish(status=Status.SUCCESS, end_reason="exit", return_code=0)
    bobs = services.execute(other_user, "echo", {}, [])
    return SimpleNamespace(own=str(own.pk), bobs=str(bobs.pk))


def client_for(role, row, people):
    if role == "anonymous":
        return APIClient()
    if row.api:
        return token_client(people[role])
    client = APIClient()
    client.force_login(people[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[row.label for row in ROWS])
def test_each_role_gets_what_the_table_says(row, role, people, runs):
    client = client_for(role, row, people)
    path = row.path(runs)
    data = row.data
    if isinstance(data, AdminAction):
        data = {**data, "_selected_action": [getattr(runs, data.run)]}
    if row.method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data, format="json" if row.api else None)
    expected = row.expect[role]
    if expected == LOGIN:
        assert response.status_code == 302, response.content[:300]
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == expected, response.content[:300]
    if row.api:
        kind = response["Content-Type"]
        assert kind.startswith(("application/json", "application/vnd.oai.openapi+json", "text/"))
        if kind.startswith("application/json"):
            assert response.json()["success"] is (response.status_code < 400)
    if response.streaming:
        b"".join(response.streaming_content)  # closes the file behind it
    if row.effect is not None:
        assert row.effect(runs) is (role in row.effective)


def test_lists_show_only_the_runs_each_role_may_see(people, runs):
    def listed(role):
        body = token_client(people[role]).get("/api/tasks").json()
        return {task["id"] for task in body["tasks"]}

    assert listed("ordinary") == {runs.own}
    assert listed("permitted") == listed("staff") == listed("admin") == {runs.own, runs.bobs}


def test_scripts_show_only_those_each_role_may_run(people):
    def keys(role):
        return {
            script["key"]
            for script in token_client(people[role]).get("/api/scripts").json()["scripts"]
        }

    assert "secret_club" not in keys("ordinary")
    assert "secret_club" not in keys("staff")
    assert "secret_club" in keys("permitted")


def test_a_group_member_may_run_the_groups_script(user, club):
    user.groups.add(club)
    response = token_client(user).post(
        "/api/execute", {"script_type": "secret_club"}, format="json"
    )
    assert response.status_code == 201


def test_a_session_request_to_the_api_needs_its_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/execute", {"script_type": "echo"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert not Task.objects.exists()


def test_an_inactive_users_token_stops_working(user):
    client = token_client(user)
    user.is_active = False
    user.save()
    assert client.get("/api/tasks").status_code == 401


def test_no_cors_headers_invite_other_sites(api):
    response = api.get("/api/tasks", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_staff_may_see_the_audit_trail_once_given_its_permission(staff, runs):
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client = APIClient()
    client.force_login(staff)
    response = client.get("/admin/tasks/auditevent/")
    assert response.status_code == 200
    assert AuditEvent.objects.count() == 2
    assert b"alice" in response.content
    assert b"bob" in response.content


# The one lookup of a run by id that pages and the API share.


@pytest.mark.parametrize("as_text", [False, True])
def test_visible_task_finds_a_run_its_owner_and_staff_may_see(user, other_user, staff, as_text):
    from tasks.access import visible_task
    from tasks.tests.factories import make_task

    task = make_task(user)
    pk = str(task.pk) if as_text else task.pk
    assert visible_task(user, pk) == task
    assert visible_task(staff, pk) == task
    assert visible_task(other_user, pk) is None


@pytest.mark.parametrize("pk", ["nope", "", "1234", None])
def test_visible_task_is_none_for_an_id_that_is_no_uuid(user, pk):
    from tasks.access import task_id, visible_task

    assert task_id(pk) is None
    assert visible_task(user, pk) is None


def test_visible_task_is_none_for_an_unknown_run_and_for_anonymous(user):
    import uuid

    from django.contrib.auth.models import AnonymousUser

    from tasks.access import visible_task
    from tasks.tests.factories import make_task

    task = make_task(user)
    assert visible_task(user, uuid.uuid4()) is None
    assert visible_task(AnonymousUser(), task.pk) is None
