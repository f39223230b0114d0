"""A page's form whose file is past EXECUTOR_MAX_UPLOAD_BYTES gets a 413 that says so."""

from django.http import HttpResponse

from tasks.services.uploads import UploadTooLarge


class UploadLimitMiddleware:
    """Parse a page's multipart form before the CSRF check does.

    The upload handler refuses a file past the ceiling as it streams (UploadTooLarge);
    raised inside CsrfViewMiddleware, Django would answer its generic 400 page. Parsed
    here, the refusal is a 413 naming the limit. The API parses its own requests
    (tasks.api.parsers) and answers in its envelope, so it is left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method == "POST"
            and request.content_type == "multipart/form-data"
            and not request.path.startswith("/api/")
        ):
            try:
                request.POST  # noqa: B018 - parsing is the point
            except UploadTooLarge as exc:
                return HttpResponse(
                    f"{exc} Go back and choose a smaller file.",
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
