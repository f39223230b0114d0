import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--lines", type=int, default=1_000_000)
count = parser.parse_args().lines
for number in range(count):
    print(f"line {number:09d} of the benchmark output..")
