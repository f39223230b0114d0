"""One page per run (its permalink), its whole log as text, and cancel and re-run."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from tasks import services
from tasks.catalog import get_catalog
from tasks.history import logs
from tasks.services.rate_limits import run_refusal, run_started
from tasks.web.state import task_state
from tasks.web.views.common import dashboard_url, visible_task, wants_json
from tasks.web.views.notifications import form_context
from tasks.web.views.panel import panel_context


@require_GET
def task_detail(request, pk):
    task = visible_task(request.user, pk)
    context = panel_context(request.user, task)
    context.update(
        entry=get_catalog().get(task.script),
        # A list, not the dict: in a template `params.items` would find a parameter
        # named "items" before the method.
        params=list(task.params.items()),
        env_names=sorted(task.env),
        rerun_of=task.rerun_of_id,
        notify=form_context(request.user, task.script),
    )
    return render(request, "tasks/task_detail.html", context)


@require_GET
def task_log(request, pk):
    """The whole log as plain text in the browser (the download is an attachment)."""
    task = visible_task(request.user, pk)
    return logs.text_response(task, attachment=False)


@require_POST
def task_cancel(request, pk):
    task = visible_task(request.user, pk)
    try:
        task = services.cancel(request.user, task)
    except services.ServiceError as exc:
        if wants_json(request):
            return JsonResponse({"error": exc.message}, status=exc.status)
        messages.error(request, exc.message)
    else:
        if wants_json(request):
            return JsonResponse({"state": task_state(task)})
        messages.info(request, "Cancelling the run.")
    return redirect(_page_of(request, task))


@require_POST
def task_rerun(request, pk):
    task = visible_task(request.user, pk)
    refusal = run_refusal(request)
    if refusal:
        messages.error(request, refusal)
        return redirect(_page_of(request, task))
    try:
        new, warnings = services.rerun(request.user, task)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_page_of(request, task))
    run_started(request)
    for warning in warnings:
        messages.warning(request, warning)
    return redirect(_page_of(request, new))


def _page_of(request, task):
    """Where the panel that posted the form shows `task`: the dashboard or its own page."""
    if request.POST.get("return_to") == "dashboard":
        return dashboard_url(task.script, task.pk)
    return reverse("task-detail", args=[task.pk])


@require_POST
def task_keep(request, pk):
    """Pin the run (`keep=1`) so that no purge takes it, or unpin it (`keep=0`)."""
    task = visible_task(request.user, pk)
    keep = request.POST.get("keep") == "1"
    try:
        services.set_keep(request.user, task, keep)
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(
            request,
            "Pinned: no purge will take this run." if keep else "Unpinned: retention may purge it.",
        )
    return redirect("task-detail", pk=task.pk)
