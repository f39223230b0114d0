"""What the history says in aggregate: Prometheus metrics, a script's trends, two runs compared.

Everything here reads the database (never a process's memory), so every web process and
worker answers the same figures.
"""
