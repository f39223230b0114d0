import argparse
import time

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int, default=5)
parser.add_argument("--delay", type=float, default=0.0)
options = parser.parse_args()
for number in range(1, options.count + 1):
    print(f"[{number}/{options.count}] line {number}")
    if options.delay:  # sleep(0) still yields the CPU: a flood would wait on a busy machine
        time.sleep(options.delay)
