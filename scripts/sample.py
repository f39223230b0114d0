"""Ten timestamped steps, printed as [i/10], one every --delay seconds."""

import argparse
import time
from datetime import datetime


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    print(f"[{datetime.now():%Y-%m-%d %H:%M:%S}] Starting sample script")
    if options.args:
        print(f"Arguments: {options.args}")
    for step in range(1, 11):
        time.sleep(options.delay)
        print(f"[{step}/10] {datetime.now():%Y-%m-%d %H:%M:%S} step {step} done")
    print("Done!")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
