"""Every API answer carries `success`; every error is {"success": false, "error": "..."}."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tasks.api.parsers import BodyTooLarge
from tasks.services.uploads import UploadTooLarge

logger = logging.getLogger(__name__)

MESSAGES = {
    exceptions.NotAuthenticated: (
        "Authentication required: sign in, or send the header 'Authorization: Token <key>'."
    ),
}


def ok(status_code=status.HTTP_200_OK, **data):
    return Response({"success": True, **data}, status=status_code)


def failure(message, status_code, errors=None, headers=None):
    data = {"success": False, "error": message}
    if errors:
        data["errors"] = errors
    return Response(data, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, UploadTooLarge):
        exc = BodyTooLarge(str(exc))
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads request.body for JSON before our parser sees the stream, so Django's
        # own size check is the one that fires.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = BodyTooLarge(f"The request body is larger than {limit // 1024} KiB.")
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(f"The request was refused: {exc}")
    elif isinstance(exc, UnreadablePostError):
        exc = exceptions.ParseError("The request body could not be read.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not a bad request; logged with its traceback for whoever fixes it.
        logger.exception("unhandled error in %s", context.get("view"), exc_info=exc)
        return failure("Internal error; it has been logged.", status.HTTP_500_INTERNAL_SERVER_ERROR)
    message = MESSAGES.get(type(exc)) or _message(exc.detail)
    errors = exc.detail if isinstance(exc.detail, (dict, list)) else None
    return failure(message, response.status_code, errors, headers=_headers(response))


def _headers(response):
    return {
        name: value
        for name, value in response.items()
        if name in ("Allow", "Retry-After", "WWW-Authenticate")
    }


def _message(detail, prefix=""):
    """Flatten DRF's error detail into one readable sentence."""
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            name = f"{prefix}{key}" if key != "non_field_errors" else prefix.rstrip(".")
            parts.append(_message(value, f"{name}." if name else ""))
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_message(item, prefix) for item in detail)
    field = prefix.rstrip(".")
    return f"{field}: {detail}" if field else str(detail)
