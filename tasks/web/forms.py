"""The run form, built from a catalog entry: one field per parameter, of the right kind."""

import shlex

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from tasks.catalog import MAX_ARG_LENGTH

# In tasks/templates/: Django's form renderer looks in app folders, not in TEMPLATES' DIRS.
FIELD_TEMPLATE = "tasks/_field.html"
BOOLEAN_TRUE = {"1", "true", "yes", "on"}


class RunForm(forms.Form):
    """One field per catalog parameter. The catalog validates again on submission (the
    API's rules are the form's), and its messages are put beside their fields."""

    def __init__(self, entry, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.entry = entry
        for param in entry.params:
            field = _field(param)
            field.template_name = FIELD_TEMPLATE
            field.default_text = _default_text(param)
            self.fields[f"param_{param.name}"] = field
        if entry.allow_args:
            self.fields["args"] = forms.CharField(
                label="Arguments",
                required=False,
                max_length=MAX_ARG_LENGTH * 4,
                help_text=f"Up to {entry.max_args}, separated by spaces; quote an argument "
                "that contains spaces. Nothing passes through a shell.",
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
            self.fields["args"].template_name = FIELD_TEMPLATE

    @staticmethod
    def initial_from(task, entry):
        """Initial values that repeat a run's parameters and arguments (never a secret's:
        the run kept only a mask of it)."""
        initial = {
            f"param_{name}": value
            for name, value in task.params.items()
            if (param := entry.param(name)) is not None and param.type not in ("secret", "file")
        }
        if task.args:
            initial["args"] = shlex.join(task.args)
        return initial

    @staticmethod
    def initial_from_query(query, entry):
        """Initial values from a link (`/?script=report&rows=5`), so a URL can carry a ready
        run; never a secret's (it would sit in browser history and server logs)."""
        initial = {}
        for param in entry.params:
            if param.type == "secret" or param.name not in query:
                continue
            if param.type == "multichoice":
                initial[f"param_{param.name}"] = query.getlist(param.name)
            elif param.type == "boolean":
                initial[f"param_{param.name}"] = query[param.name].lower() in BOOLEAN_TRUE
            else:
                initial[f"param_{param.name}"] = query[param.name]
        if entry.allow_args and "args" in query:
            initial["args"] = query["args"]
        return initial

    def clean(self):
        """The catalog's own rules (a pattern, text checks) in the same round as the fields'
        own, so a person sees every error at once."""
        cleaned = super().clean()
        for param in self.entry.params:
            name = f"param_{param.name}"
            value = cleaned.get(name)
            # Files are checked by the upload service as they are stored.
            if name in self.errors or value in (None, "", []) or param.type == "file":
                continue
            try:
                param.clean(value, from_text=True)
            except ValueError as exc:
                self.add_error(name, _sentence(str(exc)))
        return cleaned

    def clean_args(self):
        text = self.cleaned_data.get("args") or ""
        try:
            return shlex.split(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Cannot split the arguments: {exc}.") from None

    def uploads(self):
        """The files sent for each file parameter (services check and store them)."""
        return {
            param.name: self.files.getlist(f"param_{param.name}")
            for param in self.entry.params
            if param.type == "file" and self.files.getlist(f"param_{param.name}")
        }

    def params(self):
        values = {}
        for param in self.entry.params:
            if param.type == "file":
                continue
            value = self.cleaned_data.get(f"param_{param.name}")
            if value in (None, "") and param.type != "boolean":
                continue
            if param.type == "multichoice" and not value:
                continue
            values[param.name] = value
        return values

    def args(self):
        return self.cleaned_data.get("args") or []

    def add_service_errors(self, errors):
        """Put the catalog's messages ("params.delay": "must be ...") beside their fields."""
        for key, message in errors.items():
            name = key.removeprefix("params.")
            field = f"param_{name}" if f"param_{name}" in self.fields else None
            if key == "args" and "args" in self.fields:
                field = "args"
            self.add_error(field, _sentence(message))


def _sentence(message):
    """The catalog's fragment ("must be at most 10") as a sentence beside its field."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def _default_text(param):
    if param.default is None or param.type == "boolean":
        return ""
    if param.type == "multichoice":
        return ", ".join(param.default) or "none"
    return str(param.default)


class FilesInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """One or several files; the catalog's limits are checked by services.uploads."""

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(FilesField, self).clean(item, initial) for item in data]
        return super().clean(data, initial)


def _file_field(param, common):
    limit = param.max_size or settings.EXECUTOR_MAX_UPLOAD_BYTES
    kinds = [*param.extensions, *param.media_types]
    limits = f"{', '.join(kinds) + ', ' if kinds else ''}up to {filesizeformat(limit)}"
    if param.multiple:
        limits += f" each, {param.max_files} files at most"
    help_text = f"{param.help} ({limits})" if param.help else f"{limits[0].upper()}{limits[1:]}."
    attrs = {"data-max-size": str(limit)}
    if kinds:
        attrs["accept"] = ",".join(kinds)
    widget = FilesInput(attrs=attrs) if param.multiple else forms.FileInput(attrs=attrs)
    return FilesField(**{**common, "help_text": help_text}, widget=widget)


def _field(param):
    common = {"label": param.label, "help_text": param.help, "required": param.required}
    initial = param.default
    if param.type == "file":
        return _file_field(param, common)
    if param.type == "integer":
        return forms.IntegerField(
            min_value=param.min, max_value=param.max, initial=initial, **common
        )
    if param.type == "number":
        return forms.FloatField(
            min_value=param.min,
            max_value=param.max,
            initial=initial,
            widget=forms.NumberInput(attrs={"step": "any"}),
            **common,
        )
    if param.type == "boolean":
        return forms.BooleanField(initial=bool(initial), **{**common, "required": False})
    if param.type == "choice":
        choices = [(choice, choice) for choice in param.choices]
        if not param.required:
            choices.insert(0, ("", "—"))
        return forms.ChoiceField(choices=choices, initial=initial, **common)
    if param.type == "multichoice":
        return forms.MultipleChoiceField(
            choices=[(choice, choice) for choice in param.choices],
            initial=initial or [],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    attrs = {"autocomplete": "off"}
    if param.pattern:
        attrs["pattern"] = param.pattern
    if param.type == "secret":
        # Masked while typed, never sent back in a re-rendered form, never remembered.
        attrs["autocomplete"] = "new-password"
        return forms.CharField(
            min_length=param.min_length or None,
            max_length=param.max_length,
            strip=False,
            widget=forms.PasswordInput(attrs=attrs, render_value=False),
            **common,
        )
    return forms.CharField(
        min_length=param.min_length or None,
        max_length=param.max_length,
        initial=initial,
        strip=False,
        widget=forms.TextInput(attrs=attrs),
        **common,
    )
