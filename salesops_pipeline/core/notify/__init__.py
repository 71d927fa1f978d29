"""Notify: alerts and e-mail."""
