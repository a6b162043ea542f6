"""Users: workspaces (tenants), members and profiles."""
