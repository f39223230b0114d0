"""The thread that raises notification events (tasks.notifications.events) and sends the
deliveries (tasks.notifications.delivery) in each engine process: the thread pool's, and
each Celery worker's. A thread of its own, because a slow SMTP or webhook server must
delay neither the claiming of runs nor recovery, nor any run's supervisor."""

import logging

from django.conf import settings
from django.db import connection

from tasks.executor.background import BackgroundThread
from tasks.notifications.delivery import deliver_due
from tasks.notifications.events import raise_pending

logger = logging.getLogger(__name__)


class Notifier(BackgroundThread):
    thread_name = "executor-notifier"

    def __init__(self, interval: float | None = None) -> None:
        self.interval = interval or settings.EXECUTOR_NOTIFY_INTERVAL
        super().__init__()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                while (raise_pending() + deliver_due()) and not self._stopping.is_set():
                    pass
            except Exception:
                logger.exception("sending notifications failed; will retry")
            finally:
                connection.close()
            self._stopping.wait(self.interval)
