"""`manage.py check` reports catalog and engine problems with hints."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

pytestmark = pytest.mark.django_db


def run_check():
    output = StringIO()
    call_command("check", stdout=output, stderr=output)
    return output.getvalue()


def test_the_test_catalog_passes():
    assert "no issues" in run_check()


def test_a_broken_entry_is_reported_with_its_name_and_reason(settings, tmp_path):
    (tmp_path / "catalog.toml").write_text(
        '[scripts.good]\npath = "good.py"\n[scripts.bad]\npath = "nope.py"\n'
    )
    (tmp_path / "good.py").write_text("print()\n")
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "catalog.toml")
    with pytest.raises(SystemCheckError) as raised:
        run_check()
    assert "executor.E002" in str(raised.value)
    assert "script 'bad'" in str(raised.value)
    assert "does not exist" in str(raised.value)


def test_an_unreadable_catalog_is_reported_with_a_hint(settings, tmp_path):
    settings.EXECUTOR_SCRIPTS = str(tmp_path / "missing.toml")
    with pytest.raises(SystemCheckError) as raised:
        run_check()
    assert "executor.E001" in str(raised.value)
    assert "Set EXECUTOR_SCRIPTS" in str(raised.value)


def test_an_unknown_backend_is_reported(settings):
    settings.EXECUTOR_BACKEND = "carrier-pigeon"
    with pytest.raises(SystemCheckError) as raised:
        run_check()
    assert "executor.E010" in str(raised.value)


def test_a_stale_limit_below_the_heartbeat_is_reported(settings):
    settings.EXECUTOR_STALE_AFTER = 1
    settings.EXECUTOR_HEARTBEAT_INTERVAL = 1
    with pytest.raises(SystemCheckError) as raised:
        run_check()
    assert "executor.E011" in str(raised.value)
