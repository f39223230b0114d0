"""The REST API: the seed's contract (`{"success": ...}` envelope, task object) on DRF."""
