"""API tokens in the admin, next to Django's users and groups."""

from django.contrib import admin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

# each token's user, so fetch the users with the tokens instead of one query per row.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    list_select_related = ("user",)
