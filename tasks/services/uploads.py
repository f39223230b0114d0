"""Files uploaded for a run's `file` parameters: refused while they stream when too big,
checked against the catalog, stored with the run (models/artifact.py), copied for a re-run.

What reaches the script is a private copy in its working folder, named after the
parameter (executor/workdir.py); the name the browser sent is recorded and offered back
as the download's name, never used as a path. Nothing is unpacked, ever.
"""

import hashlib
import mimetypes
import unicodedata
import uuid
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler

from tasks.executor.workdir import human_size, upload_token
from tasks.models import ARTIFACT_CHUNK, Artifact, ArtifactChunk, ArtifactKind

MAX_NAME = 255


class UploadTooLarge(RequestDataTooBig):
    """An upload passed EXECUTOR_MAX_UPLOAD_BYTES while it streamed (or a parameter's
    `max_size` once it had arrived): answered with 413."""


class BadFileName(ValueError):
    """The name an upload was sent with cannot be recorded (path separators, NUL or
    control characters, empty, too long)."""


class CappedUploadHandler(FileUploadHandler):
    """Counts each uploaded file's bytes as they arrive and stops the request past
    EXECUTOR_MAX_UPLOAD_BYTES, before the handlers after it (memory, temporary file) have
    written more than that. First in FILE_UPLOAD_HANDLERS."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = settings.EXECUTOR_MAX_UPLOAD_BYTES
        if self.received > limit:
            self._drop_partial_files()
            raise UploadTooLarge(f"The file {self.file_name!r} is larger than {human_size(limit)}.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file

    def _drop_partial_files(self) -> None:
        # The file the next handlers are writing is not in the parser's list yet, so the
        # parser would leave it to the garbage collector: close (and so delete) it now.
        for handler in getattr(self.request, "upload_handlers", ()):
            partial = getattr(handler, "file", None)
            if handler is not self and partial is not None:
                partial.close()


def check_name(raw: str) -> str:
    """The name a client sent, if it can be recorded as it is; else BadFileName."""
    if not raw or raw in (".", ".."):
        raise BadFileName("the file has no name")
    if "/" in raw or "\\" in raw:
        raise BadFileName(f"the file name {raw[:80]!r} contains a path separator")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in raw):
        raise BadFileName("the file name contains NUL or control characters")
    if len(raw) > MAX_NAME:
        raise BadFileName(f"the file name is longer than {MAX_NAME} characters")
    return raw


@dataclass
class Upload:
    """One checked file, waiting for its run's row."""

    id: uuid.UUID
    param: str
    position: int
    name: str
    media_type: str
    file: Any  # Django's UploadedFile

    @property
    def token(self) -> str:
        return upload_token(self.id)


def check(entry: Any, files: dict[str, list[Any]]) -> tuple[list[Upload], dict[str, str]]:
    """The uploads of a request, checked against the entry's file parameters; and the
    errors by field (`params.NAME`). Raises UploadTooLarge for a file past its
    parameter's `max_size`."""
    uploads: list[Upload] = []
    errors: dict[str, str] = {}
    file_params = {param.name: param for param in entry.params if param.type == "file"}
    for name in files:
        if name not in file_params:
            errors[f"params.{name}"] = f"is not a file parameter of {entry.key!r}"
    for name, param in file_params.items():
        sent = files.get(name, [])
        limit = param.max_files if param.multiple else 1
        if len(sent) > limit:
            errors[f"params.{name}"] = f"takes at most {limit} file{'s' * (limit > 1)}"
            continue
        for position, file in enumerate(sent):
            try:
                uploads.append(_checked(param, position, file))
            except BadFileName as exc:
                errors[f"params.{name}"] = str(exc)
            except ValueError as exc:
                errors[f"params.{name}"] = f"{file.name}: {exc}"
    return uploads, errors


def _checked(param: Any, position: int, file: Any) -> Upload:
    name = check_name(getattr(file, "raw_name", None) or file.name or "")
    limit = param.max_size or settings.EXECUTOR_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise UploadTooLarge(f"The file {name!r} is larger than {human_size(limit)}.")
    if file.size == 0:
        raise ValueError("the file is empty")
    suffix = PurePosixPath(name).suffix.lower()
    if param.extensions and suffix not in param.extensions:
        raise ValueError(f"must be one of: {', '.join(param.extensions)}")
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if param.media_types and not any(fnmatch(media_type, kind) for kind in param.media_types):
        raise ValueError(f"is {media_type}; must be one of: {', '.join(param.media_types)}")
    return Upload(uuid.uuid4(), param.name, position, name, media_type, file)


def tokens(uploads: list[Upload]) -> dict[str, list[str]]:
    """Each file parameter's value: the tokens of its uploads, in order."""
    values: dict[str, list[str]] = {}
    for upload in uploads:
        values.setdefault(upload.param, []).append(upload.token)
    return values


def store(task_id: Any, uploads: list[Upload]) -> int:
    """Write the uploads as the run's files (inside the caller's transaction); their bytes."""
    total = 0
    for upload in uploads:
        digest = hashlib.sha256()
        artifact = Artifact.objects.create(
            id=upload.id,
            task_id=task_id,
            kind=ArtifactKind.UPLOAD,
            name=upload.name,
            param=upload.param,
            position=upload.position,
            size=0,
            media_type=upload.media_type,
            sha256="",
        )
        size = 0
        upload.file.seek(0)
        for index, data in enumerate(upload.file.chunks(ARTIFACT_CHUNK)):
            digest.update(data)
            size += len(data)
            ArtifactChunk.objects.create(artifact=artifact, index=index, data=data)
        Artifact.objects.filter(pk=artifact.pk).update(size=size, sha256=digest.hexdigest())
        total += size
    return total


def copy_for_rerun(original: Any) -> tuple[dict[str, list[str]], list[Artifact]]:
    """New tokens for the original run's uploads (param -> tokens) and the rows to copy."""
    copies = []
    values: dict[str, list[str]] = {}
    for upload in Artifact.objects.filter(task=original).uploads():
        copy = Artifact(
            id=uuid.uuid4(),
            kind=ArtifactKind.UPLOAD,
            name=upload.name,
            param=upload.param,
            position=upload.position,
            size=upload.size,
            media_type=upload.media_type,
            sha256=upload.sha256,
        )
        copy.copied_from = upload.pk  # type: ignore[attr-defined]
        copies.append(copy)
        values.setdefault(upload.param, []).append(upload_token(copy.id))
    return values, copies


def store_copies(task_id: Any, copies: list[Artifact]) -> int:
    """Write the copies of a re-run's uploads, chunk by chunk (inside the caller's
    transaction); their bytes."""
    total = 0
    for copy in copies:
        copy.task_id = task_id
        copy.save(force_insert=True)
        chunks = ArtifactChunk.objects.filter(artifact_id=copy.copied_from).order_by("index")  # type: ignore[attr-defined]
        for pk in chunks.values_list("pk", flat=True):
            chunk = ArtifactChunk.objects.get(pk=pk)
            ArtifactChunk.objects.create(artifact=copy, index=chunk.index, data=chunk.data)
        total += copy.size
    return total


def file_values(
    entry: Any, params: Any, files: dict[str, list[Any]] | None, rerun_of: Any
) -> tuple[Any, list[Upload], list[Artifact], dict[str, str]]:
    """A request's parameters with each file parameter's tokens in them: from the files
    sent, or for a re-run from the original run's uploads. Also the uploads and copies to
    store with the run, and the errors by field."""
    file_params = [param.name for param in entry.params if param.type == "file"]
    if not file_params and not files:
        return params, [], [], {}
    params = dict(params) if isinstance(params, dict) else params
    errors: dict[str, str] = {}
    if isinstance(params, dict):
        for name in file_params:
            if name in params and rerun_of is None:
                errors[f"params.{name}"] = "is a file: send it as a multipart upload"
            params.pop(name, None)
    checked, found = check(entry, files or {})
    errors.update(found)
    copies: list[Artifact] = []
    if rerun_of is not None and not files:
        values, copies = copy_for_rerun(rerun_of)
    else:
        values = tokens(checked)
    if isinstance(params, dict):
        params.update(values)
    return params, checked, copies, errors


def shown(entry: Any, params: dict[str, Any], uploads: list[Upload], copies: list[Artifact]):
    """The parameters as the run's row keeps them: file parameters by the names sent."""
    names: dict[str, list[str]] = {}
    for item in uploads:
        names.setdefault(item.param, []).append(item.name)
    for copy in copies:
        names.setdefault(copy.param, []).append(copy.name)
    return {**params, **names}
