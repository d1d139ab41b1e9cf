"""`floorcheck media sweep`: files no photo refers to go, once they are old enough; nothing else is touched."""

from __future__ import annotations

import io
import os
import time
import uuid

from PIL import Image

from api.cli import main as cli
from api.media import storage as stored


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (seed * 40 % 256, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def test_the_sweep_removes_only_old_unreferenced_files(world, psi, settings, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    kept = world.inspector.put(f"/api/photos/{uuid.uuid4()}", content=jpeg(1), params={"inspection_id": psi["id"]},
                               headers={"Content-Type": "image/jpeg"})
    assert kept.status_code == 201, kept.text
    storage = stored.LocalStorage(settings.media_dir)
    # Files of an upload that never committed: one old, one that may still be committing.
    _, old_keys = stored.ingest_and_store(storage, jpeg(2), max_pixels=settings.max_image_pixels)
    _, new_keys = stored.ingest_and_store(storage, jpeg(3), max_pixels=settings.max_image_pixels)
    old = {old_keys.original, old_keys.display, old_keys.thumb}
    two_hours_ago = time.time() - 7200
    for key in old:
        os.utime(storage.root / key, (two_hours_ago, two_hours_ago))
    before = {key for key, _ in storage.listing()}
    for name, value in (("DATABASE_URL", settings.database_url), ("MEDIA_DIR", str(settings.media_dir))):
        monkeypatch.setenv(f"FLOORCHECK_{name}", value)

    assert cli(["media", "sweep", "--dry-run"]) == 0
    assert "would remove 3 unreferenced file(s)" in capsys.readouterr().out
    assert {key for key, _ in storage.listing()} == before

    assert cli(["media", "sweep"]) == 0
    assert "removed 3 unreferenced file(s)" in capsys.readouterr().out
    assert {key for key, _ in storage.listing()} == before - old
    assert new_keys.original in before - old
    served = world.inspector.get(kept.json()["urls"]["display"])
    assert served.status_code == 200  # the referenced photo is untouched
