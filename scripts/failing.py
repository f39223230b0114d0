"""Does a few steps of work, then fails with a traceback."""

import argparse
import time


def load_settings(path):
    with open(path) as handle:
        return handle.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3)
    options = parser.parse_args()
    for step in range(1, options.steps + 1):
        print(f"[{step}/{options.steps + 1}] working on step {step}")
        time.sleep(0.2)
    print("Reading the settings file...")
    load_settings("/nonexistent/settings.ini")


if __name__ == "__main__":
    main()
