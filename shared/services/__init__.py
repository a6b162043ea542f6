"""The service layer: use cases that open a unit of work, check access, change the domain."""
