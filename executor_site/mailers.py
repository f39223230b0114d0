"""Django's default mailer (MAILERS["default"], Django 6.1) from the environment.

EMAIL_URL (smtp://user:pass@host:587/?tls=True, smtps://..., console://, ...) says it all
at once (dj-email-url reads it); without it, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
EMAIL_HOST_PASSWORD, EMAIL_USE_TLS and EMAIL_USE_SSL are read. EMAIL_BACKEND picks another
backend (django-anymail's, say), configured by its own settings. EMAIL_TIMEOUT: seconds
an SMTP server may take (10).
"""

import os

import dj_email_url
from django.core.exceptions import ImproperlyConfigured

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def _flag(name):
    value = os.environ.get(name, "").lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), got {value!r}")


def _number(name, default, kind=int):
    value = os.environ.get(name) or default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def mailer_from_environment():
    if os.environ.get("EMAIL_URL"):
        url = dj_email_url.parse(os.environ["EMAIL_URL"])
        backend = url["EMAIL_BACKEND"]
        smtp = {
            "host": url["EMAIL_HOST"],
            "port": url["EMAIL_PORT"],
            "username": url["EMAIL_HOST_USER"],
            "password": url["EMAIL_HOST_PASSWORD"],
            "use_tls": url["EMAIL_USE_TLS"],
            "use_ssl": url["EMAIL_USE_SSL"],
        }
    else:
        backend = os.environ.get("EMAIL_BACKEND") or SMTP
        smtp = {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": _number("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": _flag("EMAIL_USE_TLS"),
            "use_ssl": _flag("EMAIL_USE_SSL"),
        }
    if backend != SMTP:
        return {"BACKEND": backend, "OPTIONS": {}}
    return {"BACKEND": SMTP, "OPTIONS": {**smtp, "timeout": _number("EMAIL_TIMEOUT", 10, float)}}
