"""Notifications: events raised when runs end, stall or overrun (events.py), rendered into
messages (content.py), queued as Delivery rows and sent in the background with retries
(delivery.py) through e-mail, signed webhooks or Apprise (senders.py).

Nothing here runs inside a run's critical path: events come from a signal sent after the
run's row is committed, and sending happens in the engine's housekeeping.
"""
