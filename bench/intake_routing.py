"""How far down the API's routes the SNS intake endpoint is found: FastAPI tries each route's
pattern in turn, and every alarm that arrives pays for the ones before its own.

    .venv/bin/python bench/intake_routing.py

Builds the app on a throwaway SQLite store and looks the SNS intake path up the way Starlette's
router does (each route's `matches`, in order, until one matches in full). Prints one JSON object:
the patterns tried, and microseconds per lookup (the best of 5 rounds of 20,000).
"""

from __future__ import annotations

import json
import tempfile
import timeit
from pathlib import Path
from typing import Any

from starlette.routing import Match

from cloudwarden.api.app import create_app
from cloudwarden.config import load_settings

PATH = "/api/v1/intake/workspaces/00000000-0000-4000-8000-000000000001/sns"
ROUNDS, LOOKUPS = 5, 20_000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(data_dir=Path(folder), database_url=f"sqlite:///{Path(folder) / 'cw.db'}")
        routes = create_app(settings).router.routes
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": PATH, "root_path": ""}

    def lookup() -> int:
        for tried, route in enumerate(routes, start=1):
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return tried
        raise LookupError(f"no route matches {PATH}")

    tried = lookup()
    best = min(timeit.repeat(lookup, number=LOOKUPS, repeat=ROUNDS)) / LOOKUPS
    print(
        json.dumps(
            {
                "path": PATH,
                "routes": len(routes),
                "patterns_tried": tried,
                "us_per_lookup": round(best * 1e6, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
