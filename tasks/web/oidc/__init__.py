"""Sign-in with an OpenID Connect provider (mozilla-django-oidc), configured from the
environment: discovery (`discovery.py`), the backend that checks the ID token and sets the
user's roles (`backend.py`), the two views of the authorization-code flow (`views.py`)."""
