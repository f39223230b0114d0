"""An argparse script with typed options, a flag and free values: prints what it parsed."""

import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("--token", required=True)
parser.add_argument("--admin", action="store_true")
parser.add_argument("target")
parser.add_argument("extra", nargs="*")
print(json.dumps(vars(parser.parse_args())))
