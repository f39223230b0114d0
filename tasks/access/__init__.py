"""Who may run, see, cancel and re-run what. Every page, endpoint and the admin ask here.

- A script without `groups` in the catalog may be run by every signed-in user; one with
  groups only by their members and by users with the "run any script" permission.
- Users see their own runs; "view all runs" (and staff) see everybody's.
- Users cancel and re-run their own runs; "manage all runs" lets them touch others'.
- Purging runs (and their logs) needs Django's "delete task" permission, and "manage all
  runs" as well when the runs are not all the user's own.
"""

import uuid

RUN_ANY = "tasks.run_any_script"
VIEW_ALL = "tasks.view_all_runs"
MANAGE_ALL = "tasks.manage_all_runs"
PURGE = "tasks.delete_task"


def _group_names(user):
    # Cached on the user object: a page asks this once per script it lists.
    names = getattr(user, "_executor_group_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._executor_group_names = names
    return names


def can_run(user, entry):
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not entry.groups or user.has_perm(RUN_ANY):
        return True
    return bool(_group_names(user) & set(entry.groups))


def runnable(user, catalog):
    return [entry for entry in catalog if can_run(user, entry)]


def sees_all_runs(user):
    return bool(user and user.is_authenticated and (user.is_staff or user.has_perm(VIEW_ALL)))


def visible_tasks(user, queryset=None):
    from tasks.models import Task

    queryset = Task.objects.all() if queryset is None else queryset
    if sees_all_runs(user):
        return queryset
    if not (user and user.is_authenticated):
        return queryset.none()
    return queryset.filter(user=user)


def task_id(value):
    """`value` as a run's id (a UUID), or None when it cannot be one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def visible_task(user, pk):
    """The run with id `pk` if `user` may see it, else None: for a run that does not
    exist, one hidden from this user, and an id that is no UUID alike, so that the
    answer never hints that a hidden run exists. Pages and the API both look runs up here."""
    pk = task_id(pk)
    if pk is None:
        return None
    return visible_tasks(user).filter(pk=pk).first()


def can_see(user, task):
    return sees_all_runs(user) or (user.is_authenticated and task.user_id == user.pk)


def manages_all_runs(user):
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(MANAGE_ALL))


def can_manage(user, task):
    """Cancel or re-run this task."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return task.user_id == user.pk or manages_all_runs(user)


def can_purge(user):
    """Delete finished runs and their logs (which ones: see `manages_all_runs`)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(PURGE))
