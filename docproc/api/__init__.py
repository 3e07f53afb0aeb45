"""The REST front door (DRF) under ``/api/v1/``: views validate and delegate to services."""
