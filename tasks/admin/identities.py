"""Which sign-in provider's user each account is, on the user's admin page.

A superuser links an existing account to a provider's user here (as `manage.py
link_identity` does): the provider's user signs in as that account from then on. Links
are added and removed, never edited in place, through tasks.services.identities, which
writes the audit events; nobody else may touch them.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from tasks.models import ProviderIdentity
from tasks.models.identity import LDAP
from tasks.services import ServiceError, identities

User = get_user_model()


class ProviderIdentityForm(forms.ModelForm):
    class Meta:
        model = ProviderIdentity
        fields = ["provider", "subject"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and {"provider", "subject"} & set(self.changed_data):
            raise forms.ValidationError(
                "A link is not edited: delete it, and add the new one, in two saves."
            )
        provider = (cleaned.get("provider") or "").strip()
        subject = (cleaned.get("subject") or "").strip()
        if provider and provider != LDAP and not provider.startswith("oidc:"):
            self.add_error("provider", 'Write "ldap", or "oidc:" and the issuer URL.')
        elif provider == LDAP and subject:
            try:
                subject = identities.ldap_subject(subject)
            except ServiceError as exc:
                self.add_error("subject", exc.message)
        cleaned["provider"], cleaned["subject"] = provider.rstrip("/"), subject
        return cleaned


class ProviderIdentityInline(admin.TabularInline):
    model = ProviderIdentity
    form = ProviderIdentityForm
    fields = ["provider", "subject", "created_at", "last_sign_in_at"]
    readonly_fields = ["created_at", "last_sign_in_at"]
    extra = 0
    verbose_name = "sign-in provider identity"

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        # Needed for the delete boxes; editing a link in place is refused by its form.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


admin.site.unregister(User)


@admin.register(User)
class UserWithIdentitiesAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, ProviderIdentityInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProviderIdentity:
            return super().save_formset(request, form, formset, change)
        user = form.instance
        # What the formset's save() would have noted, for the admin's change message.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                identities.unlink(user, deleted.instance.provider, actor=request.user)
                formset.deleted_objects.append(deleted.instance)
        for added in formset.extra_forms:
            if added.has_changed() and added not in formset.deleted_forms:
                data = added.cleaned_data
                formset.new_objects.append(
                    identities.link(user, data["provider"], data["subject"], actor=request.user)
                )
        return None
