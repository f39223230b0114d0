import json
import os
import sys

print(json.dumps({"argv": sys.argv[1:], "mood": os.environ.get("ECHO_MOOD")}))
