"""Reports the files it was given: where they are, their mode and what they hold."""

import json
import os
import stat
import sys


def describe(path):
    return {
        "path": path,
        "mode": oct(stat.S_IMODE(os.stat(path).st_mode)),
        "text": open(path, encoding="utf-8", errors="replace").read(),
    }


extra = [p for p in os.environ.get("EXTRA_FILES", "").split(os.pathsep) if p]
print(
    json.dumps(
        {
            "table": describe(sys.argv[1].removeprefix("--table=")),
            "extra": [describe(path) for path in extra],
            "workdir": os.environ["EXECUTOR_WORKDIR"],
        }
    )
)
