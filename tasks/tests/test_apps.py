"""The tasks app at start: the SQLite databases' folders are made then, not at import."""

from tasks.apps import create_sqlite_folders


def test_the_folders_of_sqlite_databases_are_created_when_the_app_starts(tmp_path):
    databases = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": tmp_path / "var" / "db.sqlite3",
            "TEST": {"NAME": str(tmp_path / "test" / "db.sqlite3")},
        },
        "other": {"ENGINE": "django.db.backends.postgresql", "NAME": str(tmp_path / "pg")},
    }
    create_sqlite_folders(databases)
    assert (tmp_path / "var").is_dir()
    assert (tmp_path / "test").is_dir()
    assert not (tmp_path / "pg").exists()
