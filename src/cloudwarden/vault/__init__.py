"""Secret fields at rest: per-workspace data keys in the store, sealed field values (vault/service.py)."""
