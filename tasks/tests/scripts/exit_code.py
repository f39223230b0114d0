import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--code", type=int, default=3)
print("exiting with", parser.parse_args().code)
sys.exit(parser.parse_args().code)
