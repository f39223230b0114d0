"""A run's working folder: uploads in, artifacts and a summary out, removed at the end.

Each run gets a private folder on the machine that runs it (EXECUTOR_WORK_ROOT, or the
system's temporary folder): `inputs/` holds private copies of its uploads (made only
when there are some), `artifacts/` (EXECUTOR_ARTIFACTS) is where the script leaves files to
keep, and `summary.md` (EXECUTOR_SUMMARY) takes a Markdown summary, as GitHub's
GITHUB_STEP_SUMMARY does. When the script ends, what it left is copied into the database
(models/artifact.py) within the caps, and the folder goes, whatever happened.

A script may also print `::artifact path` (a file anywhere in its working folder) or
`::summary text` (a line of Markdown; directives.py finds them); no SDK needed.
"""

import contextlib
import hashlib
import logging
import mimetypes
import os
import re
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation

from tasks.executor.directives import Directives
from tasks.models import ARTIFACT_CHUNK, Artifact, ArtifactChunk, ArtifactKind, Task

logger = logging.getLogger(__name__)

Echo = Callable[[str, bytes], None]
NAME_LENGTH = 255
PREFIX = "executor-run-"  # then deployment(), then the run's id (folder_prefix)
ENDED_SUFFIX = "-ended"  # a collected folder's name, until it is removed
ORPHAN_AGE = 60.0  # seconds a folder must be old before a sweep may remove it


UPLOAD_MARK = "{upload:"


def upload_token(artifact_id: Any) -> str:
    """What a `file` parameter's value is in the stored command until its run starts:
    the path of the private copy is only known on the machine that runs it."""
    return f"{UPLOAD_MARK}{artifact_id}}}"


def human_size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)  # pragma: no cover


class RunFiles:
    """The working folder of one run, from before its start to after its end."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.root: Path | None = None
        self._aside: Path | None = None  # the folder once collected, until it is removed
        self.directives = Directives()
        self.secrets: Sequence[str] = ()
        self.per_file = settings.EXECUTOR_MAX_ARTIFACT_BYTES
        self.per_run = settings.EXECUTOR_MAX_RUN_ARTIFACT_BYTES
        self.upload_bytes = 0

    @property
    def artifacts(self) -> Path:
        return self._root / "artifacts"

    @property
    def summary_file(self) -> Path:
        return self._root / "summary.md"

    @property
    def _root(self) -> Path:
        if self.root is None:
            raise RuntimeError("the working folder is not made yet (or already removed)")
        return self.root

    def prepare(
        self, entry: Any, script_args: list[str], env: dict[str, str], secrets: Sequence[str]
    ) -> tuple[list[str], dict[str, str]]:
        """Make the folder, copy the uploads in; the script's arguments and environment
        with each upload's token replaced by its copy's path, and the folder's variables."""
        if entry.max_artifact_bytes is not None:
            self.per_file = entry.max_artifact_bytes
        if entry.max_run_artifact_bytes is not None:
            self.per_run = entry.max_run_artifact_bytes
        self.secrets = tuple(secrets)
        base = settings.EXECUTOR_WORK_ROOT or None
        if base:
            os.makedirs(base, mode=0o700, exist_ok=True)
        # Its real path: a file named by `::artifact` is kept only if no link leads to it.
        made = tempfile.mkdtemp(prefix=folder_prefix(self.task.pk), dir=base)
        self.root = Path(os.path.realpath(made))
        self.artifacts.mkdir()
        self.summary_file.touch(mode=0o600)
        # Every upload is named by its token in the arguments or the environment (a `file`
        # parameter's value): without one there is nothing to copy in, and no query.
        uploads = []
        if any(UPLOAD_MARK in value for value in [*script_args, *env.values()]):
            uploads = list(Artifact.objects.filter(task_id=self.task.pk).uploads())
        if uploads:
            (self.root / "inputs").mkdir(mode=0o700)
        paths = {upload_token(upload.pk): str(self._copy_in(upload)) for upload in uploads}
        # Uploads belong to the run from its request on: counted here, not asked for again
        # at its end (a query there is on every run's way to its final write).
        self.upload_bytes = sum(upload.size for upload in uploads)
        script_args = [substitute(arg, paths) for arg in script_args]
        env = {name: substitute(value, paths) for name, value in env.items()}
        env.update(
            EXECUTOR_WORKDIR=str(self.root),
            EXECUTOR_ARTIFACTS=str(self.artifacts),
            EXECUTOR_SUMMARY=str(self.summary_file),
        )
        return script_args, env

    def _copy_in(self, upload: Artifact) -> Path:
        # The copy's name comes from the parameter and its place, never from the name the
        # browser sent; only a plain extension is kept, so the script can tell a .csv.
        suffix = Path(upload.name).suffix.lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,10}", suffix):
            suffix = ""
        path = self._root / "inputs" / f"{upload.param}-{upload.position + 1}{suffix}"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            for data in upload.iter_bytes():
                handle.write(data)
        return path

    def echo(self, then: Echo | None) -> Echo:
        """An output echo that reads directives, then passes the bytes on to `then`."""

        def echo(stream: str, data: bytes) -> None:
            self.directives.feed(stream, data)
            if then is not None:
                then(stream, data)

        return echo

    def collect(self) -> dict[str, Any]:
        """Store what the script left, then take the folder away from its path (before
        the run's final write, so whoever sees the run ended finds it gone); the row's
        fields for that write (summary, note, bytes). Never raises: a run's end is
        recorded whatever became of its files. `remove()` deletes it after the write."""
        if self.root is None:
            return {}
        self.directives.close()
        notes: list[str] = []
        try:
            kept = self._store_artifacts(notes)
            summary = self._summary(notes)
        except Exception:
            logger.exception("task %s: could not collect its files", self.task.pk)
            return {"files_note": "The run's files could not be collected (see the server log)."}
        finally:
            self._set_aside()
        return {
            "summary": summary,
            "files_note": "\n".join(notes),
            "artifact_bytes": self.upload_bytes + kept,
        }

    def _set_aside(self) -> None:
        """Rename the folder out of the way, to be removed once the run's end is written.

        Removing a folder costs each of its directories a `rmdir`, and where the file
        system frees blocks with online discard (ext4 mounted `discard`, as on this
        project's machine) each one waits for the disk: 2-3 ms, 5-7 ms a run, most of
        what a trivial run's end cost. A rename costs 0.01 ms. The new name keeps the
        run's prefix, so a sweep (`sweep_orphans`) removes it if this process dies first."""
        root = self._root
        aside = root.with_name(f"{root.name}{ENDED_SUFFIX}")
        try:
            os.rename(root, aside)
        except OSError:
            shutil.rmtree(root, ignore_errors=True)
        else:
            self._aside = aside
        self.root = None

    def remove(self) -> None:
        """Delete the folder, wherever it is (in place, or set aside by `collect`)."""
        for folder in (self.root, self._aside):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        self.root = self._aside = None

    # Collecting.

    def _candidates(self) -> Iterable[tuple[str, Path | None]]:
        """(name, path) of each file to keep: the artifacts folder's, then the named ones
        (path None: named, but outside the working folder)."""
        root = self._root
        seen = set()
        # A script that replaced its artifacts folder with a link keeps nothing from it.
        walked = () if self.artifacts.is_symlink() else os.walk(self.artifacts)
        for folder, dirs, files in walked:
            dirs.sort()
            for file in sorted(files):
                path = Path(folder, file)
                seen.add(path)
                yield str(path.relative_to(self.artifacts)), path
        for named in self.directives.artifacts:
            path = Path(named) if os.path.isabs(named) else root / named
            # Only files in the working folder: a printed line (which may echo what a user
            # typed) must not turn a server file into a download.
            path = Path(os.path.normpath(path))
            if path in seen:
                continue
            seen.add(path)
            linked = Path(os.path.realpath(path)) != path
            if linked or not path.is_relative_to(root) or path == self.summary_file:
                yield named[:NAME_LENGTH], None
            else:
                yield str(path.relative_to(root)), path

    def _store_artifacts(self, notes: list[str]) -> int:
        kept = count = 0
        for name, path in self._candidates():
            why = self._refusal(path, name)
            if why is None and count >= settings.EXECUTOR_MAX_ARTIFACTS:
                why = f"more than {settings.EXECUTOR_MAX_ARTIFACTS} files"
            if why is None and path is not None:
                size = path.stat().st_size
                if size > self.per_file:
                    why = f"{human_size(size)}, over the cap of {human_size(self.per_file)} a file"
                elif kept + size > self.per_run:
                    why = f"{human_size(size)}, over the cap of {human_size(self.per_run)} a run"
            if why is None and path is not None:
                stored = self._store(name, path, min(self.per_file, self.per_run - kept))
                if stored is None:
                    why = "it grew past its cap while it was read"
                else:
                    kept += stored
                    count += 1
                    continue
            notes.append(f"Left out {name}: {why}.")
        return kept

    def _refusal(self, path: Path | None, name: str) -> str | None:
        if path is None:
            return "only files in the run's working folder are kept"
        if len(name) > NAME_LENGTH:
            return f"its name is longer than {NAME_LENGTH} characters"
        try:
            info = path.lstat()
        except OSError:
            return "not a file in the run's working folder"
        if stat.S_ISLNK(info.st_mode):
            return "a symbolic link (only files are kept)"
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        return None

    def _store(self, name: str, path: Path, cap: int) -> int | None:
        """Copy one file into the database in one transaction; its size, or None (and
        nothing stored) when it holds more than `cap` bytes by the time it is read."""
        digest = hashlib.sha256()
        size = 0
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with transaction.atomic():
            artifact = Artifact.objects.create(
                task_id=self.task.pk,
                kind=ArtifactKind.OUTPUT,
                name=name,
                size=0,
                media_type=media_type[:100],
                sha256="",
            )
            with open(path, "rb", buffering=0) as handle:
                for index, data in enumerate(iter(lambda: handle.read(ARTIFACT_CHUNK), b"")):
                    size += len(data)
                    if size > cap:
                        transaction.set_rollback(True)
                        return None
                    digest.update(data)
                    ArtifactChunk.objects.create(artifact=artifact, index=index, data=data)
            Artifact.objects.filter(pk=artifact.pk).update(size=size, sha256=digest.hexdigest())
        return size

    def _summary(self, notes: list[str]) -> str:
        limit = settings.EXECUTOR_MAX_SUMMARY_BYTES
        written = b""
        with contextlib.suppress(OSError), open(self.summary_file, "rb") as handle:
            written = handle.read(limit + 1)
        parts = [written.decode("utf-8", "replace")]
        if self.directives.summary:
            parts.append("\n".join(self.directives.summary))
        text = "\n\n".join(part.strip("\n") for part in parts if part.strip())
        encoded = text.encode()
        if len(encoded) > limit:
            text = encoded[:limit].decode("utf-8", "ignore")
            notes.append(f"The summary was cut at {human_size(limit)}.")
        for secret in self.secrets:
            text = text.replace(secret, "****")
        return text


def deployment() -> str:
    """This deployment's mark in its working folders' names: a digest of its database's
    identity, so that servers on one machine that share a temporary folder (two checkouts,
    a test's servers beside another test run's) each sweep only their own folders."""
    db = connection.settings_dict
    name = str(db["NAME"])
    if connection.vendor == "sqlite" and SQLiteCreation.is_in_memory_db(name):
        name += f"#{os.getpid()}"  # an in-memory database is this process's alone
    identity = "|".join([db["ENGINE"], str(db.get("HOST") or ""), str(db.get("PORT") or ""), name])
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def folder_prefix(run_id: Any) -> str:
    """The start of the name of a run's working folder (tempfile adds a random end)."""
    return f"{PREFIX}{deployment()}-{run_id}-"


def sweep_orphans(now: float | None = None) -> int:
    """Remove the working folders that runs which are no longer running left behind on
    this machine (their supervisor was killed before it could); how many went. Only
    this deployment's folders are looked at, and only a folder that is gone counts."""
    base = settings.EXECUTOR_WORK_ROOT or tempfile.gettempdir()
    ours = f"{PREFIX}{deployment()}-"
    try:
        entries = [entry for entry in os.scandir(base) if entry.name.startswith(ours)]
    except OSError:
        return 0
    now = now if now is not None else time.time()
    folders: dict[uuid.UUID, list[str]] = {}
    for entry in entries:
        with contextlib.suppress(ValueError, OSError):
            run_id = uuid.UUID(entry.name[len(ours) : len(ours) + 36])
            if entry.is_dir(follow_symlinks=False) and now - entry.stat().st_mtime > ORPHAN_AGE:
                folders.setdefault(run_id, []).append(entry.path)
    if not folders:
        return 0
    running = set(Task.objects.running().filter(pk__in=folders).values_list("pk", flat=True))
    removed = 0
    for run_id, paths in folders.items():
        if run_id not in running:
            removed += sum(_remove(path) for path in paths)
    if removed:
        logger.info(
            "removed %d working folders of runs that ended without their supervisor", removed
        )
    return removed


def _remove(path: str) -> bool:
    """Remove a folder as far as possible; whether it is gone."""
    failures: list[BaseException] = []
    shutil.rmtree(path, onexc=lambda function, failed, error: failures.append(error))
    if failures:
        logger.warning("could not remove the working folder %s: %s", path, failures[0])
    return not os.path.lexists(path)


def substitute(value: str, paths: dict[str, str]) -> str:
    for token, path in paths.items():
        value = value.replace(token, path)
    return value
