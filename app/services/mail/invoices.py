"""Invoices by e-mail (stub, filled in below)."""
