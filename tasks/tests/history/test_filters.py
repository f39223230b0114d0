"""tasks.history.filters.listed: the one place that says which columns a list leaves out."""

import pytest

from tasks.history import filters
from tasks.models import Task


@pytest.mark.parametrize(
    ("options", "deferred"),
    [
        ({}, {"argv", "env", "script_args", "summary", "files_note", "stdout_tail", "stderr_tail"}),
        ({"tails": True}, {"argv", "env", "script_args", "summary", "files_note"}),
        (
            {"request": False},
            {
                "argv",
                "env",
                "script_args",
                "summary",
                "files_note",
                "stdout_tail",
                "stderr_tail",
                "args",
                "params",
            },
        ),
    ],
)
def test_a_list_leaves_out_the_columns_only_a_runs_page_shows(options, deferred):
    queryset = filters.listed(Task.objects.all(), **options)
    names, defer = queryset.query.deferred_loading
    assert defer is True
    assert set(names) == deferred
