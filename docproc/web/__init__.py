"""The staff web UI: server-rendered pages (no JS framework, no CDN) that call services."""
