"""Customer AWS accounts: register, find, connect, show and remove (service + flows)."""
