"""Helpers shared by the catalog tests."""

from tasks.catalog import get_catalog, load_catalog


def write_catalog(folder, text, scripts=("job.py",)):
    for name in scripts:
        (folder / name).write_text("print('hi')\n")
    path = folder / "catalog.toml"
    path.write_text(text)
    return path


def problems(folder, text):
    catalog = load_catalog(write_catalog(folder, text))
    return catalog, [message for _, message in catalog.problems]


def echo():
    return get_catalog().get("echo")
