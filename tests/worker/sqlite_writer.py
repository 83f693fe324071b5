"""What a page or an alert needs from SQLite while a task runs: the writer's turn, promptly."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def write_meanwhile(database: Path) -> None:
    """Take and release SQLite's writer lock within half a second, as a request that writes would
    ("database is locked" if a task holds it)."""
    other = sqlite3.connect(database, timeout=0.5, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
    finally:
        other.close()
