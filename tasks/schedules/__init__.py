"""Schedules' rules: timetables (when a schedule is due, in its time zone) and firing
(claiming due times through the database, so each fires once across processes).

What a firing starts is handed in by the caller (tasks.services.schedules): this package
sits below the seam and never starts a run itself.
"""
