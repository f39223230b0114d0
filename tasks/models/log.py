"""A run's output, as ordered LogChunk rows."""

from django.db import models

from tasks.models.choices import Stream
from tasks.models.task import Task

# The largest slice of output one LogChunk row holds (the engine cuts its writes at it;
# readers that resume mid-chunk look back this far).
MAX_CHUNK = 64 * 1024


class LogChunk(models.Model):
    """A slice of a run's output, in arrival order.

    `offset` is the position of the slice's first byte in everything the script wrote
    (stdout and stderr interleaved), so a reader that stopped at byte N resumes exactly
    there. Chunks the log cap dropped leave a gap in the offsets; readers show a marker.

    `line` is the number of newlines the script wrote before the chunk (dropped output
    included): a sparse line index, one entry per chunk, so a viewer can jump to line
    7,000,000 of a long log by reading one chunk. `at` is when the chunk's first byte
    reached the engine; every line of the chunk shows it as its arrival time (the engine
    flushes every ~50 ms, so that is the resolution). Both are written by the engine's
    LogWriter.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="chunks")
    offset = models.PositiveBigIntegerField()
    stream = models.CharField(max_length=3, choices=Stream.choices)
    data = models.BinaryField()
    line = models.PositiveBigIntegerField(default=0)
    at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "offset"], name="logchunk_task_offset"),
        ]
        indexes = [models.Index(fields=["task", "line"], name="logchunk_task_line")]
        ordering = ["offset"]

    def __str__(self):
        return f"{self.task_id} @{self.offset} ({self.stream}, {len(self.data)} bytes)"

    @property
    def end(self):
        return self.offset + len(self.data)
