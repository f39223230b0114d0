"""executor_site.env: each parser reads its kind of value and names the variable when wrong.

And importing the settings has no side effect: no folder is created, and pytest being
loaded changes nothing (tests say what they need through DJANGO_TESTING)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from executor_site import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("parser", "value", "expected"),
    [
        (lambda: env.env_bool("X_TEST", False), "yes", True),
        (lambda: env.env_bool("X_TEST", True), "off", False),
        (lambda: env.env_bool("X_TEST", True), "", True),
        (lambda: env.env_int("X_TEST", 1, minimum=0), "42", 42),
        (lambda: env.env_float("X_TEST", 1.0), "0.25", 0.25),
        (lambda: env.env_bytes("X_TEST", 0), "10M", 10 * 1024**2),
        (lambda: env.env_bytes("X_TEST", 0), "512KiB", 512 * 1024),
        (lambda: env.env_bytes("X_TEST", 5, zero_means_off=True), "0", 0),
        (lambda: env.env_list("X_TEST", ["a"]), " a, b ,,c ", ["a", "b", "c"]),
        (lambda: env.env_list("X_TEST", ["a"]), "", []),
        (
            lambda: env.env_list("X_TEST", [], separator=";"),
            "cn=a,dc=x ; cn=b,dc=x;",
            ["cn=a,dc=x", "cn=b,dc=x"],
        ),
        (lambda: env.env_names("X_TEST"), " CN=a,DC=x ;; b ", ["CN=a,DC=x", "b"]),
        (
            lambda: env.env_name_map("X_TEST"),
            "CN=a,DC=x=ops; b=c; b=d",
            {"CN=a,DC=x": ["ops"], "b": ["c", "d"]},
        ),
        (lambda: env.env_rate("X_TEST", "30/min"), "10/15m", (10, 900)),
        (lambda: env.env_rate("X_TEST", "30/min"), "off", None),
        (
            lambda: env.env_header("X_TEST"),
            "X-Forwarded-Proto: https",
            ("HTTP_X_FORWARDED_PROTO", "https"),
        ),
        (
            lambda: env.env_cache("X_TEST", "locmem://")["BACKEND"],
            "redis://h:6379/1",
            "django.core.cache.backends.redis.RedisCache",
        ),
    ],
)
def test_each_parser_reads_its_kind_of_value(monkeypatch, parser, value, expected):
    monkeypatch.setenv("X_TEST", value)
    assert parser() == expected


@pytest.mark.parametrize(
    ("parser", "value", "message"),
    [
        (lambda: env.env_bool("X_TEST", False), "maybe", "X_TEST must be true or false"),
        (lambda: env.env_int("X_TEST", 1, minimum=2), "1", "X_TEST must be at least 2, got 1"),
        (lambda: env.env_int("X_TEST", 1), "1.5", "X_TEST must be a whole number"),
        (lambda: env.env_float("X_TEST", 1.0), "fast", "X_TEST must be a number"),
        (lambda: env.env_bytes("X_TEST", 0), "12", "X_TEST must be at least 1K"),
        (lambda: env.env_bytes("X_TEST", 0), "0", "X_TEST must be at least 1K"),
        (
            lambda: env.env_bytes("X_TEST", 0, zero_means_off=True),
            "12",
            "X_TEST must be at least 1K",
        ),
        (lambda: env.env_bytes("X_TEST", 0), "lots", "X_TEST must be a size like 10M"),
        (lambda: env.env_rate("X_TEST", "30/min"), "30/fortnight", "X_TEST must look like 30/min"),
        (lambda: env.env_header("X_TEST"), "https", "X_TEST must look like 'X-Forwarded-Proto"),
        (lambda: env.env_cache("X_TEST", "locmem://"), "memcached://x", "X_TEST must start with"),
        (
            lambda: env.env_database("X_TEST", "", sqlite_timeout=1, test_sqlite=Path("t")),
            "nosuch://x",
            "X_TEST cannot be parsed",
        ),
    ],
)
def test_a_bad_value_names_the_variable(monkeypatch, parser, value, message):
    monkeypatch.setenv("X_TEST", value)
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(")):
        parser()


def test_a_sqlite_database_gets_the_engines_options_and_a_test_file(monkeypatch, tmp_path):
    monkeypatch.setenv("X_TEST", f"sqlite:///{tmp_path}/db.sqlite3")
    database = env.env_database("X_TEST", "", sqlite_timeout=7, test_sqlite=tmp_path / "t.db")
    assert database["OPTIONS"]["timeout"] == 7
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["TEST"] == {"NAME": str(tmp_path / "t.db")}


def test_dotenv_lines_fill_only_what_is_not_set(monkeypatch, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("# a comment\nX_TEST_A='from file'\nX_TEST_B=from file\n")
    monkeypatch.setenv("X_TEST_B", "from the environment")
    monkeypatch.delenv("X_TEST_A", raising=False)
    env.load_dotenv(dotenv)
    assert os.environ["X_TEST_A"] == "from file"
    assert os.environ["X_TEST_B"] == "from the environment"
    dotenv.write_text("no equals sign\n")
    with pytest.raises(ImproperlyConfigured, match=r"\.env:1: expected KEY=VALUE"):
        env.load_dotenv(dotenv)


def test_importing_the_settings_creates_no_folder_and_ignores_pytest(tmp_path):
    folder = tmp_path / "not-yet"
    code = (
        "import sys, pytest; from executor_site import settings as s; "
        "print(s.TESTING, s.HTTPS, s.DATABASES['default']['NAME'])"
    )
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")
    }
    environment.update(
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_SECRET_KEY="k" * 60,
        DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # pytest is imported, yet the settings are production's: HTTPS on, not testing.
    assert result.stdout.split() == ["False", "True", f"{folder}/db.sqlite3"]
    assert not folder.exists()
