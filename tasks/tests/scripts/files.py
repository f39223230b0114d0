"""Leaves artifacts of every kind, a summary and file directives; prints where it worked."""

import base64
import json
import os
import sys
from pathlib import Path

artifacts = Path(os.environ["EXECUTOR_ARTIFACTS"])
workdir = Path(os.environ["EXECUTOR_WORKDIR"])
options = dict(arg.split("=", 1) for arg in sys.argv[1:] if "=" in arg)

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
(artifacts / "chart.png").write_bytes(PNG)
(artifacts / "report.csv").write_text('name,total\nalice,3\n=HYPERLINK("http://evil"),1\n')
(artifacts / "data.json").write_text('{"rows": 2, "ok": true}')
(artifacts / "notes.md").write_text("# Notes\n\n<script>alert(1)</script> **bold**\n")
(artifacts / "page.html").write_text("<html><script>document.title='pwned'</script></html>")
(artifacts / "logo.svg").write_text(
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
(artifacts / "sub").mkdir()
(artifacts / "sub" / "deep.txt").write_text("deep\n")
(artifacts / "passwd").symlink_to("/etc/passwd")
for index in range(int(options.get("many", 0))):
    (artifacts / f"part-{index}.bin").write_bytes(b"p" * int(options.get("size", 1000)))
if "big" in options:
    (artifacts / "big.bin").write_bytes(b"b" * int(options["big"]))
(workdir / "extra.txt").write_text("named by a directive\n")
(workdir / "etc").symlink_to("/etc")

Path(os.environ["EXECUTOR_SUMMARY"]).write_text("## Totals\n\n<b>raw html</b> **3 rows**\n")
print("::artifact extra.txt")
print("::artifact /etc/hostname")
print("::artifact etc/hostname")
print("::artifact ../outside.txt")
print("::summary Done: **all** good")
for name, path in sorted(options.items()):
    if name.startswith("input"):
        print(name, Path(path).read_bytes().decode(), Path(path).name, flush=True)
print(json.dumps({"workdir": str(workdir), "cwd": os.getcwd()}))
sys.exit(int(options.get("exit", 0)))
