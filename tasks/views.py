"""HTML pages: the dashboard with its run form, and one page per run."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tasks import access, logs, services
from tasks.catalog import get_catalog
from tasks.forms import RunForm
from tasks.throttling import run_refusal

RECENT_RUNS = 20
PAGE_LOG_LIMIT = 256 * 1024


def dashboard(request):
    entries, load_error = services.scripts_for(request.user)
    selected = request.GET.get("script") or (entries[0].key if entries else None)
    entry = next((entry for entry in entries if entry.key == selected), None)
    form = RunForm(entry) if entry else None
    return _dashboard(request, entries, entry, form, load_error)


@require_POST
def run(request, script):
    entries, load_error = services.scripts_for(request.user)
    entry = next((entry for entry in entries if entry.key == script), None)
    if entry is None:
        raise Http404("No such script in your catalog.")
    form = RunForm(entry, request.POST)
    refusal = run_refusal(request)
    if refusal:
        form.add_error(None, refusal)
        return _dashboard(request, entries, entry, form, load_error, status=429)
    if form.is_valid():
        try:
            task = services.execute(request.user, entry.key, form.params(), form.args())
        except services.InvalidRequest as exc:
            form.add_service_errors(exc.errors)
        except services.ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("task-detail", task.pk)
    return _dashboard(request, entries, entry, form, load_error, status=400)


def _dashboard(request, entries, entry, form, load_error, status=200):
    recent = access.visible_tasks(request.user).defer("argv", "env", "script_args")
    context = {
        "entries": entries,
        "entry": entry,
        "form": form,
        "load_error": load_error,
        "recent": recent[:RECENT_RUNS],
    }
    return render(request, "tasks/dashboard.html", context, status=status)


def task_detail(request, pk):
    task = _visible_task(request, pk)
    part = logs.read(task.pk, 0, PAGE_LOG_LIMIT)
    context = {
        "task": task,
        "log": part,
        "log_is_partial": part.next_offset < task.log_bytes,
        "can_manage": access.can_manage(request.user, task),
        "entry": get_catalog().get(task.script),
    }
    return render(request, "tasks/task_detail.html", context)


@require_POST
def task_cancel(request, pk):
    task = _visible_task(request, pk)
    try:
        services.cancel(request.user, task)
        messages.info(request, "Cancelling the run.")
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("task-detail", task.pk)


@require_POST
def task_rerun(request, pk):
    task = _visible_task(request, pk)
    refusal = run_refusal(request)
    if refusal:
        messages.error(request, refusal)
        return redirect("task-detail", task.pk)
    try:
        new, warnings = services.rerun(request.user, task)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("task-detail", task.pk)
    for warning in warnings:
        messages.warning(request, warning)
    return redirect("task-detail", new.pk)


def _visible_task(request, pk):
    if not isinstance(pk, uuid.UUID):
        raise Http404
    task = access.visible_tasks(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404("No such run.")
    return task
