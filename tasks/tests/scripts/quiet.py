"""Print a line, say nothing for --silence seconds, print again, then end."""

import argparse
import time

parser = argparse.ArgumentParser()
parser.add_argument("--silence", type=float, default=2.5)
silence = parser.parse_args().silence
print("starting")
time.sleep(silence)
print("back again")
time.sleep(0.5)
print("done")
