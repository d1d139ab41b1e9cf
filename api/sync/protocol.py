"""Idempotent writes of client-made records: create, replay or versioned update.

Every record a phone creates carries its own id. A PUT of content equal to what is stored is a
replay and answers the stored record, however late it arrives. Otherwise an edit must carry the
version it was based on; a stale one gets 409 with the server's copy, so the phone can show both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from api.errors import Conflict


def same_content(record: Any, desired: Mapping[str, Any]) -> bool:
    return all(getattr(record, name) == value for name, value in desired.items())


def stale_edit(record: Any, base_version: int, server_copy: msgspec.Struct) -> Conflict:
    return Conflict(
        f"This record changed on the server (version {record.version}) since your copy (version "
        f"{base_version}). Compare, then send your change again based on version {record.version}.",
        detail_zh=f"服务器上的记录已更新（版本 {record.version}），请核对后基于新版本重新提交。",
        current=msgspec.to_builtins(server_copy),
    )


def apply(record: Any, desired: Mapping[str, Any]) -> None:
    for name, value in desired.items():
        setattr(record, name, value)
    record.version = (record.version or 0) + 1
