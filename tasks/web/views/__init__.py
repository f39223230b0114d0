"""HTML pages: the dashboard, the history, one page per run, and their live parts.

The live stream itself is in `tasks.web.stream`.
"""
