"""`manage.py serve`, what ./bin/serve runs: the same command as `manage.py runserver`
(runserver.py), under the name the README and the benchmarks have used."""

from tasks.management.commands.runserver import Command

__all__ = ["Command"]
