"""Prints markup and ANSI colours, as a hostile or colourful script would."""

import sys

print("<script>alert('stdout')</script>")
print('<img src=x onerror="alert(1)">')
print("\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[0m")
print("<b>not bold</b> &amp; not an entity", file=sys.stderr)
