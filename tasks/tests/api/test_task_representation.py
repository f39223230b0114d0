"""The task object's representation (tasks/api/serializers.py reads the columns of a run
directly, once it knows which fields are columns): field for field what DRF's own
Serializer.to_representation gives, in its order, for the list and the detail."""

import pytest
from rest_framework import serializers

from tasks.api.serializers import TaskListSerializer, TaskSerializer
from tasks.history import filters
from tasks.models import Status, Task
from tasks.tests.factories import make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(user):
    first = make_task(
        user,
        script="nightly_report",
        status=Status.FAILED,
        params={"region": "eu", "count": 3},
        exception="ValueError: bad row 7",
        return_code=1,
        progress=40,
        stderr_tail="boom\n",
    )
    make_task(user, status=Status.CANCELLED, rerun_of=first, progress=None)  # a running one
    # would have a duration that grows between the two representations
    make_task(user, status=Status.PENDING)
    return list(filters.listed(Task.objects.order_by("created_at"), tails=True))


@pytest.mark.parametrize("serializer_class", [TaskListSerializer, TaskSerializer])
def test_each_run_is_represented_as_drf_represents_it(runs, serializer_class, rf):
    serializer = serializer_class(runs, many=True, context={"request": rf.get("/")})
    drf = serializers.Serializer.to_representation
    assert serializer.data == [drf(serializer.child, run) for run in runs]
    assert [list(item) for item in serializer.data] == [list(serializer.child.fields)] * 3
    assert serializer.data[1]["rerun_of"] == str(runs[0].pk)
    assert serializer.data[2]["started_at"] is None
