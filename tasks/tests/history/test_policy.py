"""The retention policy by count and size: exactly the oldest finished runs go, down to
the budget; pinned and active runs stay, and count toward what the history holds."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.executor import retention
from tasks.history import purging
from tasks.history.policy import Policy, holdings, preview
from tasks.models import RetentionPass, Status, Task
from tasks.tests.factories import make_task


def runs_of(user, sizes, script="echo"):
    """One run per size, the first the oldest (an hour apart), each with a log that big."""
    now = timezone.now()
    return [
        make_task(
            user, script, created_at=now - timedelta(hours=len(sizes) - index), output=b"x" * size
        )
        for index, size in enumerate(sizes)
    ]


def left(*tasks):
    return {task.pk for task in tasks}


@pytest.mark.django_db
def test_by_size_exactly_the_oldest_go_down_to_the_budget_keeping_pinned_and_active(user):
    # Oldest first: 100, 200 (pinned), 300 (running), 400, 500, 600 bytes: 2,100 held.
    runs = runs_of(user, [100, 200, 300, 400, 500, 600])
    runs[1].set_keep(True)
    Task.objects.filter(pk=runs[2].pk).update(status=Status.RUNNING)
    # A budget of 1,250: 850 must go. The oldest purgeable are 100, then 400 (500 freed),
    # then 500 (1,000 freed, enough); 600 stays, and so do the pinned and the running one.
    policy = Policy(max_bytes=1250)
    assert preview(policy).runs == 3
    assert preview(policy).log_bytes == 1000

    result = purging.purge(None, policy.selection())

    assert (result.runs, result.log_bytes) == (3, 1000)
    assert set(Task.objects.values_list("pk", flat=True)) == left(runs[1], runs[2], runs[5])
    assert holdings().stored_bytes == 1100
    # Under the budget now: the policy selects nothing more.
    assert purging.purge(None, policy.selection()).runs == 0


@pytest.mark.django_db
def test_a_budget_the_history_fits_removes_nothing(user):
    runs_of(user, [100, 200])
    assert preview(Policy(max_bytes=300)).runs == 0
    assert preview(Policy(max_bytes=299)).runs == 1


@pytest.mark.django_db
def test_by_count_each_script_keeps_its_newest(user):
    echo = runs_of(user, [10, 10, 10, 10], script="echo")
    lines = runs_of(user, [10, 10], script="lines")
    echo[0].set_keep(True)  # pinned: stays, beyond the count or not
    result = purging.purge(None, Policy(runs_per_script=2).selection())
    assert result.runs == 1
    assert result.kept_pinned == 1
    assert set(Task.objects.values_list("pk", flat=True)) == left(echo[0], echo[2], echo[3], *lines)


@pytest.mark.django_db
def test_a_pinned_run_survives_a_purge_by_hand_too(user):
    pinned = make_task(user, age_minutes=60)
    other = make_task(user, age_minutes=60)
    assert pinned.set_keep(True) is True
    assert pinned.set_keep(True) is False  # already pinned
    result = purging.purge(None, Task.objects.all())
    assert (result.runs, result.kept_pinned) == (1, 1)
    assert not Task.objects.filter(pk=other.pk).exists()
    assert pinned.set_keep(False) is True
    assert purging.purge(None, Task.objects.all()).runs == 1


@pytest.mark.django_db
def test_the_daily_pass_applies_the_size_budget(user, settings):
    settings.EXECUTOR_RETENTION_MAX_BYTES = 1024
    runs = runs_of(user, [800, 800, 800])
    result = retention.run_due("host:1")
    assert result.runs == 2
    assert set(Task.objects.values_list("pk", flat=True)) == left(runs[2])
    done = RetentionPass.objects.get()
    assert done.cutoff is None  # no age rule
    assert done.finished_at is not None


@pytest.mark.django_db
def test_purge_tasks_previews_the_policy_with_dry_run(user, settings, capsys):
    settings.EXECUTOR_RETENTION_RUNS_PER_SCRIPT = 1
    runs_of(user, [100, 200, 300])
    call_command("purge_tasks", "--policy", "--dry-run")
    out = capsys.readouterr().out
    assert "Would remove 2 runs and 300" in out
    assert Task.objects.count() == 3
    call_command("purge_tasks", "--policy")
    assert "Removed 2 runs" in capsys.readouterr().out
    assert Task.objects.count() == 1
