"""The `cloudwarden` command line."""
