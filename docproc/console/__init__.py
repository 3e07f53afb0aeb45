"""The audit console: administrators read, filter, open and export the audit log."""
