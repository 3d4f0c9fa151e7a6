"""Members: accounts, passwords, sessions and roles."""
