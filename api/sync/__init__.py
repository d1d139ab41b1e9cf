"""The sync contract between phones and the server (see protocol.py)."""

from api.sync.protocol import CURRENT, ONCE, RecordKind, SyncProtocol, Written, same_content

__all__ = ["CURRENT", "ONCE", "RecordKind", "SyncProtocol", "Written", "same_content"]
