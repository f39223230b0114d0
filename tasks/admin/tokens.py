"""API tokens in the admin, next to Django's users and groups."""

from django import forms
from django.contrib import admin, messages
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from tasks.models import ScopedToken
from tasks.services import ServiceError, tokens

# each token's user, so fetch the users with the tokens instead of one query per row.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    list_select_related = ("user",)


class ScopedTokenForm(forms.ModelForm):
    def clean_scripts(self):
        try:
            return tokens.clean_scripts(self.cleaned_data["scripts"] or ())
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(ScopedToken)
class ScopedTokenAdmin(admin.ModelAdmin):
    """Scoped tokens: the key is shown once, in the message after "Save"; the row keeps
    only its digest. Revoking keeps the row (who had which token, until when)."""

    list_display = ("name", "user", "prefix", "read_only", "expires_at", "revoked_at")
    list_filter = ("read_only",)
    list_select_related = ("user",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("prefix", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke"]
    form = ScopedTokenForm

    def get_fields(self, request, obj=None):
        editable = ["user", "name", "read_only", "scripts", "expires_at"]
        return editable if obj is None else [*editable, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, key = tokens.issue(
            request.user,
            obj.user,
            obj.name,
            expires_at=obj.expires_at,
            read_only=obj.read_only,
            scripts=obj.scripts or (),
        )
        obj.pk = token.pk
        self.message_user(
            request, f"The key of {token.name!r}, shown only now: {key}", messages.WARNING
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = sum(tokens.revoke(request.user, token) for token in queryset)
        self.message_user(request, f"Revoked {revoked} token(s).")
