"""The schedule form: what it shows, and how what it sends becomes the service's input.

It validates nothing itself. The fields are unbound Django fields (labels, ids, widgets)
whose initial values are what was typed, so values survive a failed submit; every rule
is tasks.services.schedule_rules', the API's, and its messages are put beside the
fields here. A parameter's field is the run form's (tasks/web/forms.py).
"""

from django import forms
from django.http import QueryDict
from django.utils.dateparse import parse_datetime

from tasks.models import MissedPolicy, OverlapPolicy, TimetableKind
from tasks.schedules import timetables
from tasks.web.forms import BOOLEAN_TRUE, FIELD_TEMPLATE, RunForm, _sentence

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# Fields of the form that are the service's by another name.
RENAMED = {"interval_seconds": "interval_value"}


class ScheduleForm(forms.Form):
    # The scripts the user may run, set per form; changing it shows the other script's
    # parameters first (the "Use this script" button), never saves straight away.
    script = forms.ChoiceField(label="Script", choices=())
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=100,
        help_text="Shown in the list; the script's key when left empty.",
    )
    kind = forms.ChoiceField(
        label="Timetable",
        choices=TimetableKind.choices,
        widget=forms.RadioSelect,
        initial=TimetableKind.CRON,
    )
    cron = forms.CharField(
        label="Cron expression",
        required=False,
        help_text="Five fields (minute hour day month weekday) or @hourly, @daily, @weekly…",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    interval_value = forms.CharField(
        label="Every",
        required=False,
        widget=forms.NumberInput(attrs={"min": "1", "inputmode": "numeric"}),
    )
    interval_unit = forms.ChoiceField(
        label="Unit", choices=[(unit, unit) for unit in UNITS], initial="minutes"
    )
    run_at = forms.CharField(
        label="Date and time",
        required=False,
        help_text="In the schedule's time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    timezone = forms.CharField(
        label="Time zone",
        initial="UTC",
        help_text="An IANA name, such as Europe/Berlin.",
        widget=forms.TextInput(
            attrs={"list": "zones", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    overlap = forms.ChoiceField(
        label="While the last run still goes on",
        choices=OverlapPolicy.choices,
        initial=OverlapPolicy.SKIP,
    )
    missed = forms.ChoiceField(
        label="After the scheduler was down",
        choices=MissedPolicy.choices,
        initial=MissedPolicy.RUN_ONCE,
    )
    paused = forms.BooleanField(label="Paused (fires nothing until resumed)", required=False)

    def __init__(self, *args, scripts=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["script"].choices = [(e.key, f"{e.title} ({e.key})") for e in scripts]
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE


def forms_for(entry, post=None, schedule=None, stored_secrets=(), run=None, scripts=()):
    """(schedule form, parameters form of `entry`), unbound, showing `post` if given (a
    failed submit, a preview, another script chosen), else the saved `schedule` (its
    parameters that `entry` has, when `entry` is another script), else a new one's
    defaults (with the parameters of `run`, a run to repeat on a timetable). `scripts`
    are those the script field offers."""
    if post is not None:
        initial = {name: post.get(name, "") for name in ScheduleForm.base_fields}
        initial["paused"] = "paused" in post
        params_initial = RunForm.initial_from_query(_param_query(entry, post), entry)
    elif schedule is not None:
        initial = initial_from(schedule)
        params_initial = {
            f"param_{name}": value
            for name, value in schedule.params.items()
            if (param := entry.param(name)) is not None and param.type != "secret"
        }
    else:
        initial = {}
        params_initial = RunForm.initial_from(run, entry) if run is not None else {}
    initial["script"] = entry.key
    params = RunForm(entry, initial=params_initial)
    params.fields.pop("args", None)  # a schedule keeps no free arguments
    for param in entry.params:
        field = params.fields.get(f"param_{param.name}")
        if field is None:
            continue
        if param.type == "file":
            del params.fields[f"param_{param.name}"]
        elif param.type == "secret" and param.name in stored_secrets:
            field.required = False
            field.help_text = "A value is stored (sealed); leave this empty to keep it."
        elif param.type == "secret" and not param.storable:
            field.help_text = "A secret: a schedule cannot store it."
    return ScheduleForm(initial=initial, scripts=scripts), params


def initial_from(schedule):
    """The form's values for a saved schedule (an interval in its largest whole unit, a
    one-off in its own zone)."""
    initial = {
        "name": schedule.name,
        "kind": schedule.kind,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "overlap": schedule.overlap,
        "missed": schedule.missed,
        "paused": schedule.paused,
    }
    if schedule.interval_seconds:
        unit = next(
            u for u in ("hours", "minutes", "seconds") if schedule.interval_seconds % UNITS[u] == 0
        )
        initial["interval_value"] = schedule.interval_seconds // UNITS[unit]
        initial["interval_unit"] = unit
    if schedule.run_at:
        try:
            zone = timetables.zone(schedule.timezone)
        except timetables.TimetableError:
            zone = None
        initial["run_at"] = schedule.run_at.astimezone(zone).strftime(LOCAL_FORMAT)
    return initial


def service_data(entry, post):
    """What the form sent, as the service's fields: the script chosen (the service says
    if it may not be run), only the chosen timetable's own fields, an interval in
    seconds, a local date and time in the chosen zone, `entry`'s parameters as text."""
    kind = post.get("kind", "")
    data = {
        "name": post.get("name", ""),
        "script": post.get("script", entry.key),
        "kind": kind,
        "timezone": post.get("timezone", "").strip(),
        "overlap": post.get("overlap", ""),
        "missed": post.get("missed", ""),
        "paused": "paused" in post,
        "cron": post.get("cron", "") if kind == TimetableKind.CRON else "",
        "interval_seconds": _seconds(post) if kind == TimetableKind.INTERVAL else None,
        "run_at": _moment(post) if kind == TimetableKind.ONCE else None,
        "params": _params(entry, post),
    }
    return data


def _seconds(post):
    value = post.get("interval_value", "").strip()
    try:
        return int(value) * UNITS.get(post.get("interval_unit", ""), 1)
    except ValueError:
        return value  # the service says what is wrong with it


def _moment(post):
    text = post.get("run_at", "").strip()
    try:
        moment = parse_datetime(text)
    except ValueError:
        return text
    if moment is None or moment.tzinfo is not None:
        return text
    try:
        return moment.replace(tzinfo=timetables.zone(post.get("timezone", "").strip()))
    except timetables.TimetableError:
        return text  # the zone's own message is beside its field


def _param_query(entry, post):
    """The sent parameters under their own names (how RunForm reads a link's values)."""
    query = QueryDict(mutable=True)
    for param in entry.params:
        name = f"param_{param.name}"
        if param.type == "boolean":
            query[param.name] = "true" if name in post else "false"
        elif name in post:
            query.setlist(param.name, post.getlist(name))
    return query


def _params(entry, post):
    values = {}
    for param in entry.params:
        name = f"param_{param.name}"
        if param.type == "file":
            continue
        if param.type == "boolean":
            values[param.name] = "true" if post.get(name, "").lower() in BOOLEAN_TRUE else "false"
        elif param.type == "multichoice":
            if post.getlist(name):
                values[param.name] = post.getlist(name)
        elif post.get(name, "") != "":
            values[param.name] = post.get(name)
    return values


def place_errors(form, params, errors):
    """Put the service's messages beside their fields; the rest above the form."""
    for each in (form, params):
        each.cleaned_data = {}  # unbound: add_error expects a cleaning that never ran
    for key, message in errors.items():
        name = RENAMED.get(key, key)
        if key.startswith("params."):
            field = f"param_{key.removeprefix('params.')}"
            params.add_error(field if field in params.fields else None, _sentence(message))
        elif name in form.fields:
            form.add_error(name, _sentence(message))
        else:
            form.add_error(None, _sentence(message))


def field_errors(form, params, errors):
    """The service's messages by the name of the control they belong to ("" for none),
    for the form's check as you type."""
    placed = {}
    for key, message in errors.items():
        name = RENAMED.get(key, key)
        if key.startswith("params."):
            name = f"param_{key.removeprefix('params.')}"
            name = name if name in params.fields else ""
        elif name not in form.fields:
            name = ""
        placed[name] = " ".join(filter(None, [placed.get(name), _sentence(message)]))
    return placed
