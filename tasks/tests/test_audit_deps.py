"""bin/audit_deps.py: a known-vulnerable or yanked pin fails the check; no network here."""

import importlib.util
import urllib.error
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bin" / "audit_deps.py"


@pytest.fixture(scope="module")
def audit():
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project(latest, releases, vulnerabilities=(), yanked=()):
    return {
        "info": {"version": latest},
        "releases": {
            version: [
                {"yanked": version in yanked, "yanked_reason": "broken" * (version in yanked)}
            ]
            for version in releases
        },
        "vulnerabilities": list(vulnerabilities),
    }


VULN = {"id": "PYSEC-1", "aliases": ["CVE-1", "GHSA-1"], "fixed_in": [], "withdrawn": None}


def test_a_vulnerability_of_the_pinned_latest_release_is_found(audit):
    result = audit.judge(
        "old", "2.6.1", project("2.6.1", ["2.6.1"], [VULN, {**VULN, "id": "GHSA-1"}])
    )
    assert result.findings == [
        "PYSEC-1 (CVE-1, GHSA-1) affects the latest release 2.6.1; fixed in: no fixed release yet"
    ]


def test_a_pin_at_or_after_a_fix_is_not_flagged(audit):
    fixed = {**VULN, "fixed_in": ["4.2.9", "5.0.1"]}
    assert audit.judge("x", "4.2.9", project("5.0", ["4.2.9", "5.0"], [fixed])).findings == []
    assert audit.judge("x", "4.2.8", project("5.0", ["4.2.8", "5.0"], [fixed])).findings != []


def test_a_yanked_pin_is_flagged_and_an_older_pin_says_what_cannot_be_seen(audit):
    result = audit.judge("x", "1.0.0", project("1.1", ["1.0", "1.1"], yanked=["1.0"]))
    assert result.findings == ["the release was yanked: broken"]
    assert "vulnerabilities fixed in between are not visible" in result.notes[0]


def test_withdrawn_advisories_are_ignored(audit):
    withdrawn = {**VULN, "withdrawn": "2024-01-01"}
    assert audit.judge("x", "1.0", project("1.0", ["1.0"], [withdrawn])).findings == []


def test_pins_are_read_through_includes_with_extras(audit, tmp_path):
    (tmp_path / "base.txt").write_text("psycopg[binary]==3.3.9  # comment\nDjango==6.1.3\n")
    (tmp_path / "dev.txt").write_text("-r base.txt\npytest==9.2.0\n-e .\n")
    assert audit.read_pins(tmp_path / "dev.txt") == {
        "psycopg": ("psycopg", "3.3.9"),
        "django": ("Django", "6.1.3"),
        "pytest": ("pytest", "9.2.0"),
    }


@pytest.fixture
def pins(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("pycrypto==2.6.1\nsafe==1.0\n")
    return str(path)


def test_the_check_fails_on_a_known_vulnerable_pin(audit, pins, monkeypatch, capsys):
    data = {"pycrypto": project("2.6.1", ["2.6.1"], [VULN]), "safe": project("1.0", ["1.0"])}
    monkeypatch.setattr(audit, "fetch_project", data.__getitem__)
    assert audit.main(["--no-pip-audit", pins]) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE pycrypto==2.6.1: PYSEC-1" in out
    assert "safe" not in out.split("VULNERABLE", 1)[1]


def test_an_unreachable_pypi_is_reported_and_fails_only_when_strict(
    audit, pins, monkeypatch, capsys
):
    def unreachable(name):
        raise urllib.error.URLError("timed out")

    monkeypatch.setattr(audit, "fetch_project", unreachable)
    assert audit.main(["--no-pip-audit", pins]) == 0
    assert "NOT CHECKED: PyPI could not be reached" in capsys.readouterr().out
    assert audit.main(["--no-pip-audit", "--strict", pins]) == 3


def test_pip_audit_results_are_used_where_it_audited(audit, pins, monkeypatch, capsys):
    report = {
        "dependencies": [
            {
                "name": "pycrypto",
                "version": "2.6.1",
                "vulns": [{"id": "PYSEC-9", "fix_versions": []}],
            },
            {"name": "safe", "version": "1.0", "skip_reason": "not found"},
        ]
    }
    monkeypatch.setattr(audit, "run_pip_audit", lambda files: report)
    monkeypatch.setattr(audit, "fetch_project", lambda name: project("1.0", ["1.0"]))
    assert audit.main([pins]) == 1
    out = capsys.readouterr().out
    assert "1 by pip-audit, 1 by project JSON" in out
    assert "VULNERABLE pycrypto==2.6.1: PYSEC-9 (fixed in: no fixed release yet)" in out
