"""Persistence: engine and sessions (db), models, Alembic migrations, retention, service functions.

Import the submodule you need (`from cloudwarden.store import service as store_service`); this
package does no work at import time.
"""
