"""Django's default mailer (MAILERS["default"], Django 6.1) from the environment.

EMAIL_URL (smtp://user:pass@host:587/?tls=True, smtps://..., console://, ...) says it all
at once (dj-email-url reads it); without it, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
EMAIL_HOST_PASSWORD, EMAIL_USE_TLS and EMAIL_USE_SSL are read. EMAIL_BACKEND picks another
backend (django-anymail's, say), configured by its own settings. EMAIL_TIMEOUT: seconds
an SMTP server may take (10).
"""

import dj_email_url

from executor_site.env import env_bool, env_float, env_int, env_str

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def mailer_from_environment() -> dict:
    if email_url := env_str("EMAIL_URL", ""):
        url = dj_email_url.parse(email_url)
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
        backend = env_str("EMAIL_BACKEND", SMTP)
        smtp = {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25, minimum=1),
            "username": env_str("EMAIL_HOST_USER", ""),
            "password": env_str("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "use_ssl": env_bool("EMAIL_USE_SSL", False),
        }
    if backend != SMTP:
        return {"BACKEND": backend, "OPTIONS": {}}
    timeout = env_float("EMAIL_TIMEOUT", 10, minimum=0.1)
    return {"BACKEND": SMTP, "OPTIONS": {**smtp, "timeout": timeout}}
