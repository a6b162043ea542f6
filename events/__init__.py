"""Domain event schemas: the envelope and one payload model per event type."""
