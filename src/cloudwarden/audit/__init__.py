"""The audit log: append-only, hash-chained per workspace (chain.py decides, service.py stores)."""
