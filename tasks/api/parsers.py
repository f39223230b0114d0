"""Parsers that refuse what would hurt the server before it is parsed: JSON, multipart."""

import html
import json

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser

from tasks.services.uploads import BadFileName, check_name

MAX_DEPTH = 32


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


class SafeJSONParser(JSONParser):
    """JSON with a size limit (DRF reads the raw stream, bypassing Django's own limit)
    and a nesting limit (deep nesting would exhaust the parser's recursion)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise BodyTooLarge(f"The request body is larger than {limit // 1024} KiB.")
        if _too_deep(body):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            return json.loads(body.decode(encoding), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from None
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _too_deep(body):
    # Counting brackets over-estimates inside strings, which only errs on the safe side
    # for bodies that are mostly brackets anyway.
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class NameCheckingMultiPartParser(DjangoMultiPartParser):
    """Django's multipart parser, refusing a file name it would otherwise quietly cut
    down to its last part ("../../etc/passwd" to "passwd") or strip of control
    characters: a client that sent such a name gets told, not a renamed file."""

    def sanitize_file_name(self, file_name):
        try:
            check_name(html.unescape(file_name or ""))
        except BadFileName as exc:
            raise MultiPartParserError(str(exc)) from None
        return super().sanitize_file_name(file_name)


class UploadParser(MultiPartParser):
    """multipart/form-data for runs with files: `script_type`, `params` and `args` (JSON
    text) and one file field per file parameter. Each file is counted as it streams
    (tasks.services.uploads.CappedUploadHandler)."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {})["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            parser = NameCheckingMultiPartParser(meta, stream, request.upload_handlers, encoding)
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from None
        return DataAndFiles(data, files)
