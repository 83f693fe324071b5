"""The identity primitives stay pure: no store, API or AWS imports, and no work at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cloudwarden.auth

PACKAGE = Path(cloudwarden.auth.__file__).parent
ALLOWED_CLOUDWARDEN = ("cloudwarden.auth", "cloudwarden.errors")
ALLOWED_THIRD_PARTY = {"argon2", "pyotp", "jwt"}


def test_auth_imports_only_errors_and_its_three_libraries() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "cloudwarden":
                    assert name.startswith(ALLOWED_CLOUDWARDEN), f"{path.name} imports {name}"
                else:
                    assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, (
                        f"{path.name} imports {name}"
                    )


def test_importing_does_no_work() -> None:
    script = (
        "import cloudwarden.auth.passwords as p, cloudwarden.auth.totp, cloudwarden.auth.tokens, "
        "cloudwarden.auth.refresh, cloudwarden.auth.api_tokens, cloudwarden.auth.keys\n"
        "print(p.common_passwords.cache_info().currsize, p._hasher.cache_info().currsize, "
        "p._dummy_hash.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0", "0"]
