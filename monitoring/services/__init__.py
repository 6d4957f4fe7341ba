"""Writes for monitoring, one module per thing written: alerts, labs, rechecks, check-ins."""
