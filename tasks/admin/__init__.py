"""The operator's admin: the run history (read-only, with cancel and purge), the catalog,
the retention passes, API tokens next to Django's users and groups (each user with their
sign-in providers' identities), and the audit trail.

One module per admin; importing them here registers them all when Django's autodiscovery
imports this package.
"""

from tasks.admin import (
    audit,
    catalog,
    hooks,
    identities,
    notifications,
    retention,
    runs,
    schedules,
    tokens,
)
from tasks.admin.audit import AuditEventAdmin
from tasks.admin.base import ViewOnlyAdmin, pre, status_badge
from tasks.admin.catalog import ScriptCatalogAdmin, script_stats
from tasks.admin.retention import RetentionPassAdmin
from tasks.admin.runs import TaskAdmin, TaskChangeList
from tasks.admin.schedules import FiringAdmin, ScheduleAdmin
from tasks.admin.tokens import ApiTokenAdmin

__all__ = [
    "ApiTokenAdmin",
    "AuditEventAdmin",
    "FiringAdmin",
    "RetentionPassAdmin",
    "ScheduleAdmin",
    "ScriptCatalogAdmin",
    "TaskAdmin",
    "TaskChangeList",
    "ViewOnlyAdmin",
    "audit",
    "catalog",
    "hooks",
    "identities",
    "notifications",
    "pre",
    "retention",
    "runs",
    "schedules",
    "script_stats",
    "status_badge",
    "tokens",
]
