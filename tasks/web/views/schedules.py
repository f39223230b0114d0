"""The Schedules pages: the list (timetable in words, next firings, last run, skips, and
pause/resume/run-now/edit/delete), the form, and the form's check as you type.

Thin: every rule (who may, what is valid) is tasks.services.schedules', the API's; the
check endpoint answers with the same validation a submit gets."""

from zoneinfo import available_timezones

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tasks import services
from tasks.schedules import overview, timetables
from tasks.services import ServiceError
from tasks.services import schedules as service
from tasks.services.rate_limits import run_refusal, run_started
from tasks.web import schedule_form
from tasks.web.views.common import visible_task


@require_GET
def schedule_list(request):
    schedules = service.visible(request.user)
    script = request.GET.get("script", "")
    if script:
        schedules = schedules.filter(script=script)
    rows = [
        (item, service.can_change(request.user, item.schedule))
        for item in map(overview.overview, schedules)
    ]
    return render(request, "tasks/schedules.html", {"rows": rows, "script": script})


@require_http_methods(["GET", "POST"])
def schedule_new(request):
    entries, load_error = services.scripts_for(request.user)
    key = request.POST.get("script") or request.GET.get("script", "")
    entry = next((item for item in entries if item.key == key), None)
    if entry is None:
        if key:
            messages.error(request, f"There is no script “{key}” that you may run.")
        context = {"entries": entries, "load_error": load_error}
        return render(request, "tasks/schedule_pick.html", context, status=404 if key else 200)
    if request.method == "POST":
        return _save(request, entry, None)
    form, params = schedule_form.forms_for(entry, run=_run_to_repeat(request, entry))
    return _render(request, entry, form, params, None, [])


@require_http_methods(["GET", "POST"])
def schedule_edit(request, pk):
    schedule = _changeable(request, pk)
    entry = _entry(request, schedule)
    if request.method == "POST":
        return _save(request, entry, schedule)
    form, params = schedule_form.forms_for(
        entry, schedule=schedule, stored_secrets=service.stored_secrets(schedule)
    )
    return _render(request, entry, form, params, schedule, overview.upcoming(schedule))


@require_POST
def schedule_check(request, pk=None):
    """The form's values checked by the service, as a submit would be: the messages by
    field, the timetable in words and the next five firings."""
    schedule = _changeable(request, pk) if pk is not None else None
    entries, _ = services.scripts_for(request.user)
    key = schedule.script if schedule else request.POST.get("script", "")
    entry = next((item for item in entries if item.key == key), None)
    if entry is None:
        return JsonResponse({"valid": False, "errors": {"": "You may not run this script."}})
    form, params = schedule_form.forms_for(entry, request.POST)
    data = schedule_form.service_data(entry, request.POST)
    try:
        unsaved = service.preview(request.user, data, schedule, from_text=True)
    except ServiceError as exc:
        errors = schedule_form.field_errors(form, params, exc.errors or {"": exc.message})
        return JsonResponse({"valid": False, "errors": errors})
    return JsonResponse(
        {
            "valid": True,
            "errors": {},
            "timetable": timetables.describe(unsaved),
            "upcoming": [
                {"at": item.at.isoformat(), "text": item.local}
                for item in overview.upcoming(unsaved)
            ],
        }
    )


@require_POST
def schedule_pause(request, pk):
    return _verb(request, pk, service.pause, "paused: it fires nothing until resumed")


@require_POST
def schedule_resume(request, pk):
    return _verb(request, pk, service.resume, "resumed")


@require_POST
def schedule_run_now(request, pk):
    schedule = _changeable(request, pk)
    refusal = run_refusal(request)  # the same limit as the dashboard's and the API's
    if refusal:
        messages.error(request, f"{schedule.name}: {refusal}")
        return redirect("schedules")
    try:
        task = service.run_now(request.user, schedule)
    except ServiceError as exc:
        messages.error(request, f"{schedule.name}: {exc.message}")
        return redirect("schedules")
    run_started(request)
    messages.success(request, f"{schedule.name}: started run {task.short_id}.")
    return redirect("task-detail", task.pk)


@require_http_methods(["GET", "POST"])
def schedule_delete(request, pk):
    """GET asks first (a page, not the browser's confirm()); POST deletes."""
    schedule = _changeable(request, pk)
    if request.method == "GET":
        return render(request, "tasks/schedule_delete.html", {"schedule": schedule})
    name = schedule.name
    try:
        service.delete(request.user, schedule)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Schedule “{name}” deleted; its past runs stay in the history.")
    return redirect("schedules")


def _verb(request, pk, verb, done):
    schedule = _changeable(request, pk)
    try:
        verb(request.user, schedule)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Schedule “{schedule.name}” {done}.")
    return redirect("schedules")


def _changeable(request, pk):
    """A schedule the user may see and change; 404 otherwise, as the API answers."""
    schedule = get_object_or_404(service.visible(request.user), pk=pk)
    if not service.can_change(request.user, schedule):
        raise Http404("No such schedule among those you may change.")
    return schedule


def _entry(request, schedule):
    entries, _ = services.scripts_for(request.user)
    entry = next((item for item in entries if item.key == schedule.script), None)
    if entry is None:
        raise Http404("This schedule's script is not one you may run (any more).")
    return entry


def _run_to_repeat(request, entry):
    """A run whose parameters a new schedule starts from (`?run=<id>` from a run's page)."""
    raw = request.GET.get("run")
    if not raw:
        return None
    try:
        task = visible_task(request.user, raw)
    except (Http404, ValueError):
        return None
    return task if task.script == entry.key else None


def _save(request, entry, schedule):
    form, params = schedule_form.forms_for(
        entry, request.POST, stored_secrets=service.stored_secrets(schedule) if schedule else ()
    )
    data = schedule_form.service_data(entry, request.POST)
    try:
        if schedule is None:
            saved = service.create(request.user, data, from_text=True)
        else:
            saved = service.update(request.user, schedule, data, from_text=True)
    except ServiceError as exc:
        schedule_form.place_errors(form, params, exc.errors or {"": exc.message})
        return _render(request, entry, form, params, schedule, [], status=exc.status)
    messages.success(request, f"Schedule “{saved.name}” saved: {timetables.describe(saved)}.")
    return redirect(f"{reverse('schedules')}#schedule-{saved.pk}")


def _render(request, entry, form, params, schedule, upcoming, status=200):
    context = {
        "entry": entry,
        "form": form,
        "params": params,
        "schedule": schedule,
        "upcoming": upcoming,
        "timetable": timetables.describe(schedule) if schedule else "",
        "zones": sorted(available_timezones()),
        "check_url": (
            reverse("schedule-check", args=[schedule.pk])
            if schedule
            else reverse("schedule-check-new")
        ),
    }
    return render(request, "tasks/schedule_form.html", context, status=status)
