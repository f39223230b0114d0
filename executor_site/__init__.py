"""The Django project. `celery_app` is the Celery app, loaded on first use only, so that
the thread backend (the default) never imports Celery."""


def __getattr__(name):
    if name == "celery_app":
        from executor_site.celery import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
