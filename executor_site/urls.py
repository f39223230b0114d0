from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from tasks.web.login import LoginView
from tasks.web.sign_out import SignOutView

urlpatterns = [
    path("api/", include("tasks.api.urls")),
    path("hooks/", include("tasks.hooks.urls")),
    # One sign-in form for the site and the admin, so one limit on failed attempts.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
    ),
    # And one sign-out: the admin's ends the provider's session and is audited too.
    path("admin/logout/", login_not_required(SignOutView.as_view())),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/oidc/", include("tasks.web.oidc.urls")),
    path("accounts/logout/", login_not_required(SignOutView.as_view()), name="logout"),
    path("", include("tasks.web.urls")),
]
