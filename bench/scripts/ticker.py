"""Prints --lines lines, one every --interval seconds, each stamped with the wall clock
time it was printed at: "tick <number> <time.time()>"."""

import argparse
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--lines", type=int, default=1000)
parser.add_argument("--interval", type=float, default=0.01)
options = parser.parse_args()
start = time.monotonic()
for number in range(1, options.lines + 1):
    # Sleep to a schedule, not by a fixed amount, so that the rate stays steady.
    delay = start + number * options.interval - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    print(f"tick {number} {time.time():.6f}", flush=True)
sys.exit(0)
