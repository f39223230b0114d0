"""A run's files: what its script left in EXECUTOR_ARTIFACTS, and what was uploaded for it.

Stored in the database, in chunks, like the log: a Celery worker on another machine
already writes to the database and to nothing else, so its files reach the web server
without a shared filesystem or a second service, they go with their run through the same
CASCADE as its log, and a backup of the database is a backup of everything. The caps
(EXECUTOR_MAX_ARTIFACT_BYTES per file, EXECUTOR_MAX_RUN_ARTIFACT_BYTES per run) keep the
table to the size of what people download, not of bulk data.
"""

import uuid

from django.db import models
from django.db.models import Sum
from django.utils import timezone

from tasks.models.task import Task

# The largest slice of a file one ArtifactChunk row holds: big enough that a file of a few
# megabytes is a handful of rows, small enough for any database's row and packet limits.
ARTIFACT_CHUNK = 512 * 1024


class ArtifactKind(models.TextChoices):
    # Left by the script in its EXECUTOR_ARTIFACTS folder (or named by `::artifact path`).
    OUTPUT = "output", "Output"
    # Uploaded with the run request for a `file` parameter.
    UPLOAD = "upload", "Upload"


class ArtifactQuerySet(models.QuerySet):
    def outputs(self):
        return self.filter(kind=ArtifactKind.OUTPUT)

    def uploads(self):
        return self.filter(kind=ArtifactKind.UPLOAD)

    def total_bytes(self) -> int:
        """The bytes these files hold (what purging them frees)."""
        return self.order_by().aggregate(total=Sum("size"))["total"] or 0


def artifact_bytes(tasks) -> int:
    """The bytes of files (outputs and uploads) the runs of `tasks`, a Task queryset, hold.

    Each run also carries its own total in `Task.artifact_bytes`, written with its files,
    so a query that sorts or batches runs by size needs no join."""
    return Artifact.objects.filter(task__in=tasks.values("pk")).total_bytes()


class Artifact(models.Model):
    """One file of a run: its name, size, media type and SHA-256; its bytes are chunks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="artifacts")
    kind = models.CharField(max_length=6, choices=ArtifactKind.choices)
    # Outputs: the path below the artifacts folder ("charts/week.png"). Uploads: the name
    # the browser sent, shown and offered as the download's name, never used as a path.
    name = models.CharField(max_length=255)
    param = models.CharField(max_length=64, blank=True, help_text="Uploads: the parameter.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Uploads: its place.")
    size = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ArtifactQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "param", "position", "name"]
        indexes = [models.Index(fields=["task", "kind"], name="artifact_task_kind")]

    def __str__(self):
        return f"{self.name} ({self.size} bytes)"

    @property
    def base_name(self):
        return self.name.rsplit("/", 1)[-1]

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def iter_bytes(self):
        """The file's bytes, a chunk at a time (a download never holds the whole file)."""
        pks = self.chunks.order_by("index").values_list("pk", flat=True)
        for pk in pks.iterator():
            yield bytes(ArtifactChunk.objects.values_list("data", flat=True).get(pk=pk))

    def head(self, limit: int) -> bytes:
        """At most the first `limit` bytes (previews read no more)."""
        out = bytearray()
        for data in self.iter_bytes():
            out += data
            if len(out) >= limit:
                break
        return bytes(out[:limit])


class ArtifactChunk(models.Model):
    """A slice of an artifact's bytes; `index` orders them."""

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["artifact", "index"], name="artifactchunk_order"),
        ]

    def __str__(self):
        return f"{self.artifact_id} #{self.index}"
