"""Identity and access of the service: people, sessions, 2FA, workspaces, members, API tokens."""
