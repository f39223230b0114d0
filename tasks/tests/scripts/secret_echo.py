"""Prints its secrets every way a careless script might; the log must show only ****."""

import hashlib
import os
import sys
import time

token = sys.argv[1].split("=", 1)[1]
password = os.environ.get("DB_PASSWORD", "")
# What the script really received, without printing it: the test compares digests.
print("received", hashlib.sha256(f"{token}|{password}".encode()).hexdigest(), flush=True)
print(f"token is {token}", flush=True)
print(f"::progress 50 using {token}", flush=True)
# The secret split across two writes, with a pause longer than the flush interval.
sys.stdout.write(f"partial {token[:3]}")
sys.stdout.flush()
time.sleep(0.4)
sys.stdout.write(f"{token[3:]} done\n")
sys.stdout.flush()
print(f"password is {password}", file=sys.stderr, flush=True)
raise RuntimeError(f"bad token {token}")
