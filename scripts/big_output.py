"""Writes --lines lines as fast as Python can print them."""

import argparse
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100000)
    parser.add_argument("--stream", choices=["stdout", "stderr", "both"], default="stdout")
    options = parser.parse_args()
    out, err = sys.stdout, sys.stderr
    for number in range(1, options.lines + 1):
        if options.stream == "stdout" or (options.stream == "both" and number % 2):
            print(f"line {number:08d} of output from big_output.py", file=out)
        else:
            print(f"line {number:08d} of output from big_output.py", file=err)


if __name__ == "__main__":
    main()
