"""A daemon thread with a loop of its own, told to stop: the engine's timers share it."""

import threading


class BackgroundThread:
    """Runs `_loop` (a subclass's) in a daemon thread between `start()` and `stop()`;
    the loop waits on `_stopping` so that a stop is heard at once."""

    thread_name = "executor-background"

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)

    def _loop(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
