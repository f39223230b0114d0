from django.conf import settings

from tasks.services.engine import start_engine
from tasks.web.oidc.logout import form_action_origins, signs_out_there


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


class ProviderSignOutPolicyMiddleware:
    """Let the sign-out form of a session signed in through the OpenID provider redirect
    to the provider's end-session endpoint (tasks.web.oidc.logout): its pages' CSP
    form-action names the provider's origin beside 'self'. Other sessions' pages keep
    the site's policy as it is. Placed after ContentSecurityPolicyMiddleware in
    MIDDLEWARE, so that it sees the response first and that middleware writes the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(response, "_csp_config", settings.SECURE_CSP)
        if policy and hasattr(request, "session") and signs_out_there(request):
            sources = list(policy.get("form-action", ["'self'"]))
            sources += [origin for origin in form_action_origins() if origin not in sources]
            response._csp_config = {**policy, "form-action": sources}
        return response
