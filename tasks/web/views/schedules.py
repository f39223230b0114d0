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
    script = request.GET.get("script", "")
    context = {"rows": _rows(request, script), "script": script}
    return render(request, "tasks/schedules.html", context)


@require_GET
def schedule_rows(request):
    """The list's cards alone, as the page draws them: what its script polls for."""
    rows = _rows(request, request.GET.get("script", ""))
    return render(request, "tasks/_schedule_cards.html", {"rows": rows})


def _rows(request, script):
    schedules = service.visible(request.user)
    if script:
        schedules = schedules.filter(script=script)
    return [
        (item, service.can_change(request.user, item.schedule))
        for item in overview.overviews(schedules)
    ]


@require_http_methods(["GET", "POST"])
def schedule_new(request):
    entries, load_error = services.scripts_for(request.user)
    key = _shown_script(request) or request.GET.get("script", "")
    entry = _find(entries, key)
    if entry is None:
        if key:
            messages.error(request, f"There is no script “{key}” that you may run.")
        context = {"entries": entries, "load_error": load_error}
        return render(request, "tasks/schedule_pick.html", context, status=404 if key else 200)
    if request.method == "POST":
        return _save(request, entries, entry, None)
    form, params = schedule_form.forms_for(
        entry, run=_run_to_repeat(request, entry), scripts=entries
    )
    return _render(request, entry, form, params, None, [])


@require_http_methods(["GET", "POST"])
def schedule_edit(request, pk):
    """The form of a saved schedule; `?script=` shows it with another script (its
    parameters filled from the saved ones it shares)."""
    schedule = _changeable(request, pk)
    entries, load_error = services.scripts_for(request.user)
    key = _shown_script(request) or request.GET.get("script") or schedule.script
    entry = _find(entries, key)
    if entry is None:
        # Its script may no longer be run by this user: another one keeps the schedule.
        messages.error(request, f"“{key}” is not a script you may run: pick another one.")
        context = {"entries": entries, "load_error": load_error, "schedule": schedule}
        return render(request, "tasks/schedule_pick.html", context, status=404)
    if request.method == "POST":
        return _save(request, entries, entry, schedule)
    same_script = entry.key == schedule.script
    form, params = schedule_form.forms_for(
        entry,
        schedule=schedule,
        stored_secrets=service.stored_secrets(schedule) if same_script else (),
        scripts=entries,
    )
    return _render(
        request,
        entry,
        form,
        params,
        schedule,
        overview.upcoming(schedule),
        switched_from="" if same_script else schedule.script,
    )


@require_POST
def schedule_check(request, pk=None):
    """The form's values checked by the service, as a submit would be: the messages by
    field, the timetable in words and the next five firings."""
    schedule = _changeable(request, pk) if pk is not None else None
    entries, _ = services.scripts_for(request.user)
    key = _shown_script(request) or (schedule.script if schedule else "")
    entry = _find(entries, key)
    if entry is None:
        return JsonResponse({"valid": False, "errors": {"": "You may not run this script."}})
    if request.POST.get("script", entry.key) != entry.key:
        hint = "Press “Use this script” to see its parameters before saving."
        return JsonResponse({"valid": False, "errors": {"script": hint}})
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


def _find(entries, key):
    return next((item for item in entries if item.key == key), None)


def _shown_script(request):
    """The script whose parameters the posted form showed (the script field may name
    another one, chosen since)."""
    if request.method != "POST":
        return ""
    return request.POST.get("params_for") or request.POST.get("script", "")


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


def _save(request, entries, entry, schedule):
    """Save the posted form; or, for "Preview", show its next firings and save nothing;
    or, when another script was chosen, show that script's parameters and save nothing."""
    chosen = _find(entries, request.POST.get("script", entry.key))
    if chosen is not None and chosen.key != entry.key:
        form, params = schedule_form.forms_for(chosen, request.POST, scripts=entries)
        return _render(request, chosen, form, params, schedule, [], switched_from=entry.key)
    keeps_secrets = schedule is not None and schedule.script == entry.key
    form, params = schedule_form.forms_for(
        entry,
        request.POST,
        stored_secrets=service.stored_secrets(schedule) if keeps_secrets else (),
        scripts=entries,
    )
    data = schedule_form.service_data(entry, request.POST)
    previewing = "preview" in request.POST
    try:
        if previewing:
            saved = service.preview(request.user, data, schedule, from_text=True)
        elif schedule is None:
            saved = service.create(request.user, data, from_text=True)
        else:
            saved = service.update(request.user, schedule, data, from_text=True)
    except ServiceError as exc:
        schedule_form.place_errors(form, params, exc.errors or {"": exc.message})
        return _render(request, entry, form, params, schedule, [], status=exc.status)
    if previewing:
        return _render(request, entry, form, params, schedule, overview.upcoming(saved), saved)
    messages.success(request, f"Schedule “{saved.name}” saved: {timetables.describe(saved)}.")
    return redirect(f"{reverse('schedules')}#schedule-{saved.pk}")


def _render(
    request, entry, form, params, schedule, upcoming, previewed=None, status=200, switched_from=""
):
    """The form; `previewed` is the unsaved schedule a "Preview" made of what was sent."""
    described = previewed or schedule
    context = {
        "entry": entry,
        "form": form,
        "params": params,
        "schedule": schedule,
        "upcoming": upcoming,
        "previewed": previewed is not None,
        "switched_from": switched_from,
        "timetable": timetables.describe(described) if described else "",
        "zones": sorted(available_timezones()),
        "check_url": (
            reverse("schedule-check", args=[schedule.pk])
            if schedule
            else reverse("schedule-check-new")
        ),
    }
    return render(request, "tasks/schedule_form.html", context, status=status)
