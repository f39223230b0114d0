"""Prints a few numbered lines, waits until the file --go exists (a test's page is open and
following), then floods: --lines numbered lines as fast as print() goes."""

import argparse
import os
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--before", type=int, default=5)
parser.add_argument("--lines", type=int, default=100_000)
parser.add_argument("--go", required=True)
options = parser.parse_args()
for number in range(1, options.before + 1):
    print(f"line {number} before the flood")
sys.stdout.flush()
while not os.path.exists(options.go):
    time.sleep(0.02)
first = options.before + 1
for number in range(first, first + options.lines):
    print(f"line {number} of the flood")
