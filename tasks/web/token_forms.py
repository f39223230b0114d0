"""The form of the API tokens page (tasks.web.views.tokens)."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from tasks.models import ScopedToken
from tasks.services import tokens

EXPIRIES = [("30", "30 days"), ("7", "7 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “CI deploys”.")
    expires_in = forms.ChoiceField(choices=EXPIRIES, required=False, label="Expires in")
    read_only = forms.BooleanField(
        required=False, label="Read only", help_text="It can list and follow runs, not start any."
    )
    scripts = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these scripts; none ticked: every script you may run.",
    )

    def __init__(self, *args, user, script_keys, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["scripts"].choices = [(key, key) for key in script_keys]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if ScopedToken.objects.filter(user=self.user, name=name).exists():
            raise forms.ValidationError("You already have a token with this name.")
        return name

    def issue(self):
        """(token, key): the key is shown once, on the page that answers this form."""
        days = self.cleaned_data["expires_in"]
        expires_at = timezone.now() + timedelta(days=int(days)) if days else None
        return tokens.issue(
            self.user,
            self.user,
            self.cleaned_data["name"],
            expires_at=expires_at,
            read_only=self.cleaned_data["read_only"],
            scripts=self.cleaned_data["scripts"],
        )
