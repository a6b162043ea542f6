"""Embedded adapters: everything on one machine, nothing to set up."""
