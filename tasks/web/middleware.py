from tasks.services.engine import start_engine


class StartEngineMiddleware:
    """Start the engine with the first request a process serves.

    Lazily, never at import or in AppConfig.ready(), so that management commands, tests
    and a preforking server's parent start no threads; and early, so that runs left
    pending by a restart are picked up without waiting for somebody to submit a new one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start_engine()
        return self.get_response(request)
