"""Fixtures of the crypto tests: a local key provider in a private temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudwarden.crypto.providers import LocalKeyProvider


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "local-keys.json"


@pytest.fixture
def local(key_path: Path) -> LocalKeyProvider:
    return LocalKeyProvider(key_path)
