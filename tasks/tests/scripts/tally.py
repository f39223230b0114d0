"""Appends its task id to a file: a run that happened twice shows up twice."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--file", required=True)
options = parser.parse_args()
# One small O_APPEND write: lines from concurrent runs never interleave.
fd = os.open(options.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
os.write(fd, f"{os.environ['EXECUTOR_TASK_ID']}\n".encode())
os.close(fd)
print("counted")
