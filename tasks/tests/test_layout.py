"""The house rules that a linter does not check: module size, and a README that names the
folders as they are (the import rules are pyproject's contracts, run by ./bin/test)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# "About 400 lines": past this a module usually does two things.
MAX_LINES = 400
PRODUCTION = ("tasks", "executor_site")


def production_modules():
    for package in PRODUCTION:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts):
                continue
            yield relative, path


def test_no_production_module_is_over_the_size_limit():
    too_long = {
        str(relative): lines
        for relative, path in production_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these modules (over {MAX_LINES} lines): {too_long}"


def test_the_size_check_sees_the_modules():
    modules = {str(relative) for relative, _ in production_modules()}
    assert "tasks/services/__init__.py" in modules
    assert "executor_site/settings.py" in modules
    assert not any("/tests/" in name for name in modules)


def readme_layout():
    """The folders the README's layout block names, as paths (indentation is nesting)."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"### Layout\n.*?```text\n(.*?)```", text, re.S)
    assert match, "the README's Development section has a ### Layout block"
    folders, parents = set(), []
    for line in match.group(1).splitlines():
        entry = re.match(r"^( *)([\w.]+)/(\s|$)", line)
        if entry is None:
            continue
        depth = len(entry.group(1)) // 2
        parents[depth:] = [entry.group(2)]
        folders.add("/".join(parents))
    return folders


def test_readme_layout_names_every_package_of_the_app():
    named = readme_layout()
    packages = {
        path.parent.relative_to(ROOT).as_posix()
        for path in (ROOT / "tasks").glob("*/__init__.py")
        if path.parent.name != "migrations"
    }
    assert packages - named == set(), "the README's layout misses these packages"


def test_readme_layout_names_only_folders_that_exist():
    named = readme_layout()
    assert "tasks/executor" in named
    missing = {name for name in named if not (ROOT / name).is_dir()}
    assert missing == set(), "the README's layout names folders that do not exist"
