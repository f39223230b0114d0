"""The engine: runs scripts as child processes and records them in Task rows.

It imports models and django.db, never views, the API or templates. The web side hands it
task ids through `tasks.executor.backends`.
"""
