"""`manage.py check` warns about security settings that do not do what they seem to."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from tasks.services.engine import never_passed


@register(Tags.security)
def check_child_environment(app_configs=None, **kwargs):
    refused = [name for name in settings.EXECUTOR_CHILD_ENV if never_passed(name)]
    if not refused:
        return []
    return [
        Warning(
            f"EXECUTOR_CHILD_ENV names server settings that are never passed to scripts: "
            f"{', '.join(refused)}",
            hint="Scripts must not see the server's secrets. Give a script what it needs "
            "under another variable name.",
            id="executor.W020",
        )
    ]
