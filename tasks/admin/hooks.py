"""Inbound webhooks in the admin: made here (the token is shown once), revoked here."""

from django.contrib import admin, messages
from django.urls import reverse

from tasks.models import Hook
from tasks.models.hooks import hash_token, new_token


class HookStateFilter(admin.SimpleListFilter):
    """Active or revoked (the revocation's date says neither in a filter's words)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at=None)
        if self.value() == "revoked":
            return queryset.exclude(revoked_at=None)
        return queryset


@admin.register(Hook)
class HookAdmin(admin.ModelAdmin):
    list_display = ["name", "script", "owner", "created_at", "last_called_at", "revoked_at"]
    list_filter = ["script", HookStateFilter]
    search_fields = ["name", "script", "owner__username"]
    autocomplete_fields = ["owner"]
    fields = ["name", "script", "owner", "params", "body_params", "signing_key", "revoked_at"]
    readonly_fields = ["signing_key", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        token = None
        if not change:
            token = new_token()
            obj.token_hash = hash_token(token)
            obj.signing_key = new_token()
        super().save_model(request, obj, form, change)
        if token:
            url = request.build_absolute_uri(reverse("hook-call", args=[obj.pk]))
            self.message_user(
                request,
                f"POST {url} with 'Authorization: Bearer {token}'. "
                "The token is shown only now; the signing key (for GitHub) stays on this page.",
                messages.WARNING,
            )

    @admin.action(description="Revoke the selected hooks")
    def revoke(self, request, queryset):
        revoked = sum(hook.revoke() for hook in queryset)
        self.message_user(request, f"{revoked} hook(s) revoked.", messages.INFO)
