from django.contrib.auth.decorators import login_not_required
from django.urls import path

from tasks.web.oidc import views

urlpatterns = [
    path(
        "authenticate/",
        login_not_required(views.AuthenticateView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "callback/",
        login_not_required(views.CallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
]
