"""Fluxo's domain, ports and adapters, services, settings, composition root and CLI."""
