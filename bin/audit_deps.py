"""Check the pinned dependencies for known vulnerabilities.

    .venv/bin/python bin/audit_deps.py requirements-dev.txt     (follows -r includes)

1. pip-audit, with PyPI's per-release vulnerability data: the full check.
2. For every pin pip-audit could not audit (its service unreachable, as on a machine that
   reaches only PyPI's project pages), PyPI's project JSON: the known vulnerabilities of
   the project's latest release, and whether the pinned release was yanked. Exact for a
   pin that is the latest release; for an older pin it cannot see vulnerabilities fixed
   between the pin and the latest release, and says so.

Exits 1 on a known vulnerability or a yanked pin, 2 on a usage error. When PyPI cannot be
reached at all it says loudly that nothing was checked and exits 0 (3 with --strict), so
that a slow network does not fail CI; a known vulnerability always does.
"""

import argparse
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/pypi/{name}/json"
TIMEOUT = 20  # seconds per PyPI request
PIP_AUDIT_TIMEOUT = 180
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


@dataclass
class Result:
    name: str
    version: str
    source: str = ""  # "pip-audit", "project JSON", or "" when not checked
    findings: list = field(default_factory=list)  # each one sentence
    notes: list = field(default_factory=list)


def read_pins(path, seen=None):
    """{canonical name: (name, version)} from a requirements file and its -r includes."""
    seen = set() if seen is None else seen
    path = Path(path).resolve()
    if path in seen:
        return {}
    seen.add(path)
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")):
            pins.update(read_pins(path.parent / line.split(None, 1)[1], seen))
            continue
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match[1])] = (match[1], match[3])
    return pins


def run_pip_audit(files):
    """pip-audit's JSON report, or None when it could not run."""
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"]
    command += ["--no-deps", "--disable-pip", "--timeout", str(TIMEOUT)]
    for name in files:
        command += ["-r", str(name)]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_AUDIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pip-audit did not finish ({exc}); using PyPI's project data instead.")
        return None
    try:
        return json.loads(completed.stdout)
    except ValueError:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        print(f"pip-audit gave no report ({' / '.join(tail)}); using PyPI's project data.")
        return None


def from_pip_audit(report, pins):
    """Results for the pins pip-audit audited; the rest are left for the fallback."""
    results = {}
    for dependency in report.get("dependencies", []):
        key = canonicalize_name(dependency["name"])
        if key not in pins or "skip_reason" in dependency:
            continue
        result = Result(*pins[key], source="pip-audit")
        for vuln in dependency.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            result.findings.append(f"{vuln['id']} (fixed in: {fixed})")
        results[key] = result
    return results


def fetch_project(name):
    url = PYPI.format(name=name)  # always https://pypi.org: no file: or other schemes
    headers = {"Accept": "application/json", "User-Agent": "audit_deps"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - see above
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - as above
        return json.load(response)


def judge(name, version, project):
    """What PyPI's project JSON says about one pin."""
    result = Result(name, version, source="project JSON")
    try:
        pinned = Version(version)
    except InvalidVersion:
        result.notes.append(f"{version!r} is not a version PyPI can compare")
        return result
    releases = {_version(key): files for key, files in project.get("releases", {}).items()}
    files = releases.get(pinned)  # "4.2.0" is PyPI's "4.2"
    if files is None:
        result.notes.append("this release is not on PyPI")
        return result
    if files and all(item.get("yanked") for item in files):
        reason = next(
            (item.get("yanked_reason") for item in files if item.get("yanked_reason")), ""
        )
        result.findings.append(f"the release was yanked{': ' + reason if reason else ''}")
    latest = Version(project["info"]["version"])
    if pinned > latest:
        result.notes.append(f"newer than the latest stable release {latest}; not judged")
        return result
    reported = set()
    for vuln in project.get("vulnerabilities") or []:
        names = {vuln["id"], *(vuln.get("aliases") or [])}
        if vuln.get("withdrawn") or names & reported:
            continue  # PyPI lists one advisory under each of its ids (PYSEC, GHSA)
        reported |= names
        fixed = [_version(text) for text in vuln.get("fixed_in") or []]
        if any(fix is not None and fix <= pinned for fix in fixed):
            continue  # fixed in this release or an earlier one of its line
        aliases = ", ".join(vuln.get("aliases") or [])
        fixes = ", ".join(vuln.get("fixed_in") or []) or "no fixed release yet"
        result.findings.append(
            f"{vuln['id']}{f' ({aliases})' if aliases else ''} affects the latest release "
            f"{latest}{'' if pinned == latest else ' and so most likely this one'}; "
            f"fixed in: {fixes}"
        )
    if pinned < latest:
        result.notes.append(
            f"older than the latest release {latest}: vulnerabilities fixed in between are "
            "not visible in the project data"
        )
    return result


def _version(text):
    try:
        return Version(text)
    except InvalidVersion:
        return None


def from_project_data(pins, keys):
    def check(key):
        name, version = pins[key]
        try:
            return key, judge(name, version, fetch_project(name))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            return key, Result(name, version, notes=[f"PyPI could not be reached: {exc}"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(check, sorted(keys)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="requirements files (exact pins)")
    parser.add_argument("--strict", action="store_true", help="exit 3 when nothing was checked")
    parser.add_argument("--no-pip-audit", action="store_true", help="use PyPI's project data only")
    options = parser.parse_args(argv)
    pins = {}
    for path in options.files:
        if not path.is_file():
            parser.error(f"{path} does not exist")
        pins.update(read_pins(path))
    report = None if options.no_pip_audit else run_pip_audit(options.files)
    results = from_pip_audit(report, pins) if report else {}
    results.update(from_project_data(pins, set(pins) - set(results)))

    vulnerable = [result for result in results.values() if result.findings]
    unchecked = [result for result in results.values() if not result.source]
    by_source = {}
    for result in results.values():
        by_source[result.source or "not checked"] = (
            by_source.get(result.source or "not checked", 0) + 1
        )
    print(
        f"Audited {len(pins)} pinned packages: "
        + ", ".join(f"{n} by {s}" for s, n in sorted(by_source.items()))
    )
    for result in sorted(results.values(), key=lambda r: r.name.lower()):
        for finding in result.findings:
            print(f"VULNERABLE {result.name}=={result.version}: {finding}")
    for result in sorted(results.values(), key=lambda r: r.name.lower()):
        for note in result.notes:
            print(f"note       {result.name}=={result.version}: {note}")
    if vulnerable:
        print(f"{len(vulnerable)} pinned package(s) have known vulnerabilities: upgrade them.")
        return 1
    if unchecked and len(unchecked) == len(results):
        print("NOT CHECKED: PyPI could not be reached; no vulnerability data was read.")
        return 3 if options.strict else 0
    print("No known vulnerabilities in the pins that could be checked.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
