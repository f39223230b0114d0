import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--lines", type=int, default=1_000_000)
parser.add_argument("--how", choices=["print", "write"], default="print")
parser.add_argument("--stream", choices=["stdout", "both"], default="stdout")
options = parser.parse_args()
count = options.lines
if options.how == "print" and options.stream == "stdout":
    for number in range(count):
        print(f"line {number:09d} of the benchmark output..")
elif options.how == "print":
    err = sys.stderr
    for number in range(count):
        print(f"line {number:09d} of the benchmark output..", file=err if number % 2 else None)
elif options.stream == "stdout":
    write = sys.stdout.write
    for number in range(count):
        write(f"line {number:09d} of the benchmark output..\n")
else:
    out, err = sys.stdout.write, sys.stderr.write
    for number in range(count):
        (err if number % 2 else out)(f"line {number:09d} of the benchmark output..\n")
