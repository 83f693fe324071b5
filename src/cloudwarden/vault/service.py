"""Seal and unseal secret fields with the workspace's data key; rotate the key provider.

    token = seal(db, provider=keys, workspace_id=ws, field="users.totp_secret", row=user.id, value=s)
    value = unseal(db, provider=keys, workspace_id=ws, field="users.totp_secret", row=user.id, token=token)

`workspace_id=None` is the service's own scope, for secrets of people (a user belongs to no one
workspace). Each scope gets one data key on first use, stored wrapped (`data_keys`); unwrapped
keys are cached in memory per process, keyed by their wrapped bytes, so a rotation is seen at once.
Never commits: the boundary does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.crypto import envelope
from cloudwarden.crypto.errors import DecryptionFailed
from cloudwarden.crypto.providers import KeyProvider
from cloudwarden.store import rls
from cloudwarden.store.tenancy import DataKeyRecord

SERVICE_SCOPE = "service"  # what a service-scoped data key is bound to (no workspace is named so)
_CACHE_LIMIT = 1024
_cache: dict[tuple[str, bytes], envelope.DataKey] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Rotation:
    rewrapped: int
    current: int  # already wrapped by the provider's current key
    wrapping_key_id: str


def seal(
    db: Session, *, provider: KeyProvider, workspace_id: str | None, field: str, row: str, value: str
) -> str:
    data_key = _current_key(db, provider=provider, workspace_id=workspace_id)
    return envelope.encrypt(value, data_key=data_key, provider=provider, field=field, row=row)


def unseal(
    db: Session, *, provider: KeyProvider, workspace_id: str | None, field: str, row: str, token: str
) -> str:
    key_id = envelope.token_key_id(token)
    _scope_rows(db, workspace_id)
    record = db.get(DataKeyRecord, key_id) if key_id else None
    if record is None or record.workspace_id != workspace_id:
        raise DecryptionFailed("wrong_key", workspace_id=_scope(workspace_id), field=field, row=row)
    data_key = _cached(record)
    return envelope.decrypt_text(token, data_key=data_key, provider=provider, field=field, row=row)


def rotate(db: Session, *, provider: KeyProvider) -> Rotation:
    """Re-wrap every data key not wrapped by the provider's current key (safe to run again)."""
    rewrapped = current = 0
    for record in db.scalars(select(DataKeyRecord).order_by(DataKeyRecord.key_id)):
        data_key = _cached(record)
        if not envelope.needs_rewrap(data_key, provider):
            current += 1
            continue
        fresh = envelope.rewrap(data_key, from_provider=provider)
        record.wrapped = fresh.wrapped
        record.wrapping_key_id = fresh.wrapping_key_id
        rewrapped += 1
    db.flush()
    return Rotation(rewrapped=rewrapped, current=current, wrapping_key_id=provider.key_id)


def wrapped_by(db: Session, wrapping_key_ids: tuple[str, ...]) -> int:
    """How many stored data keys are wrapped by one of these provider keys."""
    if not wrapping_key_ids:
        return 0
    return len(
        db.scalars(
            select(DataKeyRecord.key_id).where(DataKeyRecord.wrapping_key_id.in_(wrapping_key_ids))
        ).all()
    )


def _current_key(db: Session, *, provider: KeyProvider, workspace_id: str | None) -> envelope.DataKey:
    _scope_rows(db, workspace_id)
    record = db.scalars(
        select(DataKeyRecord)
        .where(
            DataKeyRecord.workspace_id.is_(None)
            if workspace_id is None
            else DataKeyRecord.workspace_id == workspace_id,
            DataKeyRecord.retired_at.is_(None),
        )
        .order_by(DataKeyRecord.created_at.desc())
        .limit(1)
    ).first()
    if record is not None:
        return _cached(record)
    data_key = envelope.new_data_key(provider, workspace_id=_scope(workspace_id))
    db.add(
        DataKeyRecord(
            key_id=data_key.key_id,
            workspace_id=workspace_id,
            wrapped=data_key.wrapped,
            wrapping_key_id=data_key.wrapping_key_id,
        )
    )
    db.flush()
    _remember(data_key)
    return data_key


def _scope_rows(db: Session, workspace_id: str | None) -> None:
    """Service-scoped keys are rows of no workspace: visible under the service scope only (rls.py)."""
    if workspace_id is None:
        rls.scope(db, service=True)


def _scope(workspace_id: str | None) -> str:
    return SERVICE_SCOPE if workspace_id is None else workspace_id


def _cached(record: DataKeyRecord) -> envelope.DataKey:
    with _cache_lock:
        hit = _cache.get((record.key_id, record.wrapped))
    if hit is not None:
        return hit
    data_key = envelope.DataKey(
        workspace_id=_scope(record.workspace_id), key_id=record.key_id, wrapped=record.wrapped
    )
    _remember(data_key)
    return data_key


def _remember(data_key: envelope.DataKey) -> None:
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[(data_key.key_id, data_key.wrapped)] = data_key
