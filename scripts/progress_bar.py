"""Processes items and draws a tqdm-style progress bar on stderr."""

import argparse
import sys
import time


def bar(done, total, started, width=30):
    fraction = done / total
    filled = int(width * fraction)
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed > 0 else 0
    return (
        f"Processing: {fraction * 100:3.0f}%|{'█' * filled}{' ' * (width - filled)}| "
        f"{done}/{total} [{elapsed:05.1f}s, {rate:.1f}it/s]"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--rate", type=float, default=10)
    options = parser.parse_args()
    started = time.monotonic()
    print(f"Processing {options.items} items")
    for done in range(1, options.items + 1):
        time.sleep(1 / options.rate)
        sys.stderr.write("\r" + bar(done, options.items, started))
        if done % max(1, options.items // 4) == 0:
            print(f"checkpoint: {done} items processed")
    sys.stderr.write("\n")
    print("All items processed.")


if __name__ == "__main__":
    main()
