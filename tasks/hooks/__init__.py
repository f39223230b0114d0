"""Inbound webhooks: `POST /hooks/<id>/` starts the hook's script as its owner, with
trigger "webhook" (calls.py does the work, views.py answers, urls.py routes)."""
