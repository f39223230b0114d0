"""The dashboard: pick a script, fill in its form, run it, and watch the run."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from tasks import access, services
from tasks.history import filters
from tasks.insight.trends import glances
from tasks.services.rate_limits import run_refusal, run_started
from tasks.web.forms import RunForm
from tasks.web.views.common import dashboard_url, visible_task
from tasks.web.views.panel import panel_context

RECENT_RUNS = 8


@require_GET
def dashboard(request):
    entries, load_error = services.scripts_for(request.user)
    current = _current_run(request)
    wanted = request.GET.get("script") or (current.script if current else "")
    entry = _find(entries, wanted) if wanted else (entries[0] if entries else None)
    form = None
    if entry is not None:
        same_script = current is not None and current.script == entry.key
        initial = RunForm.initial_from(current, entry) if same_script else {}
        initial.update(RunForm.initial_from_query(request.GET, entry))
        form = RunForm(entry, initial=initial)
    context = {"unknown_script": wanted if wanted and entry is None else ""}
    return _render(request, entries, entry, form, load_error, current, context)


@require_POST
def run(request, script):
    entries, load_error = services.scripts_for(request.user)
    entry = _find(entries, script)
    if entry is None:
        raise Http404("No such script among those you may run.")
    form = RunForm(entry, request.POST, request.FILES)
    refusal = run_refusal(request)
    if refusal:
        form.add_error(None, refusal)
        return _render(request, entries, entry, form, load_error, None, {}, status=429)
    status = 400
    if form.is_valid():
        try:
            task = services.execute(
                request.user, entry.key, form.params(), form.args(), files=form.uploads()
            )
        except services.InvalidRequest as exc:
            form.add_service_errors(exc.errors)
        except services.ServiceError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            run_started(request)
            return redirect(dashboard_url(entry.key, task.pk))
    return _render(request, entries, entry, form, load_error, None, {}, status=status)


def _current_run(request):
    raw = request.GET.get("run")
    if not raw:
        return None
    try:
        return visible_task(request.user, raw)
    except Http404:
        return None


def _find(entries, key):
    return next((entry for entry in entries if entry.key == key), None)


def _render(request, entries, entry, form, load_error, current, extra, status=200):
    recent = filters.listed(access.visible_tasks(request.user).filter(user=request.user))[
        :RECENT_RUNS
    ]
    context = {
        "entries": entries,
        "entry": entry,
        "form": form,
        "load_error": load_error,
        "recent": recent,
        "glances": glances(access.visible_tasks(request.user), [item.key for item in entries]),
        **extra,
    }
    if current is not None:
        context["panel"] = panel_context(request.user, current)
    return render(request, "tasks/dashboard.html", context, status=status)
