from django.urls import path

from tasks.hooks import views

urlpatterns = [path("<str:pk>/", views.HookView.as_view(), name="hook-call")]
