"""The compliance pages, mounted at ``/compliance/``: ethical-wall screens, access review and
retention, for administrators and compliance officers (not matter members: these pages show who
may see a matter, never its documents)."""
