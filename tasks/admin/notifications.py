"""Notifications in the admin: channels, subscriptions (staff subscribe groups here), and
the deliveries, with the failed ones and their last error easy to find and send again."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone

from tasks.admin.base import ViewOnlyAdmin, pre
from tasks.models import Channel, Delivery, DeliveryStatus, Event, Subscription


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "self_service"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    fields = ["name", "kind", "target", "secret", "enabled", "self_service"]


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = Subscription
        fields = ["channel", "user", "group", "script", "schedule", "events", "damping"]

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("group")):
            raise forms.ValidationError("Choose either a user or a group (one of them).")
        return data


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "__str__",
        "script",
        "schedule",
        "events",
        "damping",
        "held_back",
        "last_sent_at",
    ]
    list_filter = ["channel", "group"]
    search_fields = ["script", "user__username", "group__name"]
    autocomplete_fields = ["user", "group"]
    fields = ["channel", "user", "group", "script", "events", "damping"]
    list_select_related = ["channel", "user", "group"]


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "event", "channel", "status", "attempts", "error_line"]
    list_filter = ["status", "event", "channel"]
    search_fields = ["=task__id", "last_error"]
    ordering = ["-created_at"]
    list_select_related = ["channel"]
    actions = ["send_again"]
    fields = [
        "event",
        "channel",
        "subscription",
        "task",
        "recipients",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "error",
        "message",
    ]
    readonly_fields = fields

    @admin.display(description="Last error")
    def error_line(self, delivery):
        return delivery.last_error.splitlines()[0][:120] if delivery.last_error else ""

    @admin.display(description="Last error")
    def error(self, delivery):
        return pre(delivery.last_error) if delivery.last_error else "—"

    @admin.display(description="Message")
    def message(self, delivery):
        return pre(delivery.payload.get("text", ""))

    def has_change_permission(self, request, obj=None):
        # The "send again" action needs it; the form itself stays read-only.
        return request.user.has_perm("tasks.change_delivery")

    @admin.action(description="Send the selected failed deliveries again")
    def send_again(self, request, queryset):
        again = queryset.filter(Q(status=DeliveryStatus.FAILED)).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{again} delivery(ies) will be sent again.", messages.INFO)
