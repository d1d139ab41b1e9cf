"""The inspection report: one HTML template for the screen, the printer and the PDF (WeasyPrint)."""

from __future__ import annotations

import asyncio
import math
import os
import re
import weakref
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio.to_thread
import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import inspection_not_found, may_see_picks, visible_inspection
from api.auth.models import User
from api.inspections.models import DefectCode
from api.inspections.schemas import InspectionOut
from api.inspections.services import InspectionService
from api.media import storage as stored
from api.media.models import Photo
from api.media.schemas import AnyShape
from api.media.services import PhotoService
from api.orders.models import Factory
from api.reports.labels import LABELS, Lang
from api.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
SEVERITY_ORDER = ("critical", "major", "minor")
# Renders are CPU-bound and take memory: one per core at most, off the event loop. A limiter per event loop:
# anyio's belongs to the loop it was first used on.
_render_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = \
    weakref.WeakKeyDictionary()


def render_slots() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _render_slots:
        _render_slots[loop] = anyio.CapacityLimiter(os.cpu_count() or 1)
    return _render_slots[loop]


def overlay(shapes: list[AnyShape], width: int, height: int) -> Markup:
    """The annotations as inline SVG over the untouched photo, in the display image's pixels: a browser draws
    it over the JPEG, and WeasyPrint draws the same SVG as vector paths."""
    parts = []
    for shape in shapes:
        paint = f'stroke="{shape.color}" stroke-width="{shape.stroke:g}" fill="none"'
        if shape.__class__.__name__ == "Arrow":
            angle = math.atan2(shape.y2 - shape.y1, shape.x2 - shape.x1)
            head = max(shape.stroke * 4, 12)
            wings = [(shape.x2 - head * math.cos(angle + s), shape.y2 - head * math.sin(angle + s))
                     for s in (.45, -.45)]
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (wings[0], (shape.x2, shape.y2), wings[1]))
            parts.append(f'<line x1="{shape.x1:g}" y1="{shape.y1:g}" x2="{shape.x2:g}" y2="{shape.y2:g}" {paint}/>'
                         f'<polyline points="{points}" {paint} stroke-linejoin="round"/>')
        elif shape.__class__.__name__ == "Circle":
            parts.append(f'<circle cx="{shape.cx:g}" cy="{shape.cy:g}" r="{shape.r:g}" {paint}/>')
        elif shape.__class__.__name__ == "Box":
            parts.append(f'<rect x="{shape.x:g}" y="{shape.y:g}" width="{shape.w:g}" height="{shape.h:g}" {paint}/>')
        else:
            parts.append(f'<text x="{shape.x:g}" y="{shape.y:g}" font-size="{shape.size:g}" fill="{shape.color}" '
                         f'font-family="Noto Sans CJK SC">{escape(shape.text)}</text>')
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
                  f'preserveAspectRatio="none">{"".join(parts)}</svg>')


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["overlay"] = overlay
    return env


@dataclass
class ReportPhoto:
    id: str
    caption: str
    width: int = 0
    height: int = 0
    shapes: list[AnyShape] = field(default_factory=list)
    flags: list[Any] = field(default_factory=list)
    uploaded: bool = True


@dataclass
class Report:
    """What the template shows, and the media a PDF render may fetch (URL path → storage key or bytes)."""

    context: dict[str, Any]
    filename: str
    assets: dict[str, str | bytes]


class ReportService:
    def __init__(self, session: AsyncSession, user: User, storage: stored.Storage, settings: Settings) -> None:
        self.session = session
        self.user = user
        self.storage = storage
        self.settings = settings

    async def build(self, inspection_id: uuid.UUID, lang: Lang) -> Report:
        inspection, order = await visible_inspection(self.session, self.user, inspection_id)
        if not may_see_picks(self.user, inspection):
            # A factory's report would be a draft naming the picked cartons: before submission it has none.
            raise inspection_not_found()
        inspections = InspectionService(self.session, self.user)
        found = await inspections.out(inspection, order)
        photo_service = PhotoService(self.session, self.user, self.storage, self.settings)
        flags = defaultdict(list)
        for flag in await photo_service.flags(inspection.id):
            flags[str(flag.photo_id)].append(flag)
        every = list(await self.session.scalars(
            select(Photo).where(Photo.inspection_id == inspection.id).order_by(Photo.uploaded_at, Photo.id)))
        rows = [p for p in every if p.withdrawn_at is None]
        # A withdrawn photo is no longer evidence: the records that still name it show it no more.
        withdrawn = {str(p.id) for p in every if p.withdrawn_at is not None}
        assets: dict[str, str | bytes] = {}
        photos: dict[str, ReportPhoto] = {}
        for row in rows:
            key = str(row.id)
            photos[key] = ReportPhoto(key, row.caption, row.display_width, row.display_height,
                                      msgspec.convert(row.annotations, list[AnyShape]), flags.get(key, []))
            assets[f"/media/photos/{key}/display"] = stored.content_key(row.sha256, "display")
        for signature in found.signatures:
            if signature.has_image:
                assets[f"/api/inspections/{inspection.id}/signatures/{signature.role}/image"] = \
                    await inspections.signature_image(inspection.id, signature.role)
        inspector = await self.session.get(User, found.assignee_id) if found.assignee_id else None
        names = {c.code: c for c in await self.session.scalars(select(DefectCode))}
        used: set[str] = set()

        def pick(ids: list[str]) -> list[ReportPhoto]:
            used.update(ids)
            return [photos.get(i) or ReportPhoto(i, "", uploaded=False) for i in ids if i not in withdrawn]

        defects = sorted(found.defects, key=lambda d: (SEVERITY_ORDER.index(d.severity), d.code, d.created_at))
        defect_rows = [{"d": d, "name": names.get(d.code), "photos": pick(d.photo_ids)} for d in defects]
        for row in rows:  # a photo taken for a defect before its record named it
            if row.defect_id and str(row.id) not in used:
                for entry in defect_rows:
                    if entry["d"].id == row.defect_id:
                        entry["photos"] += pick([str(row.id)])
        answers = {a.item_key: a for a in found.checklist_answers}
        checklist = [{"item": item, "answer": answers.get(item.key),
                      "photos": pick(answers[item.key].photo_ids) if item.key in answers else []}
                     for item in (found.checklist.items if found.checklist else [])]
        measurement_photos = pick([p for m in found.measurements for p in m.photo_ids])
        others = [photos[key] for key in photos if key not in used]
        return Report(
            context={
                "lang": lang, "t": LABELS[lang], "i": found, "o": found.order, "draft": found.submitted_at is None,
                "inspector": inspector, "place": await self._place(found), "plans": self._plans(found),
                "defects": defect_rows, "totals": self._totals(found),
                "cartons": self._cartons(found), "mismatches": [s for s in found.scans
                                                                if s.verdict not in {"ok", "already_scanned"}],
                "measurements": self._measurements(found), "measurement_photos": measurement_photos,
                "checklist": checklist, "other_photos": others,
                "signatures": {s.role: s for s in found.signatures}, "zh": lang == "zh",
                "generated_at": datetime.now(UTC),
            },
            filename=re.sub(r"[^A-Za-z0-9._-]+", "_", f"inspection-{found.order.po_number}-{found.type}-{lang}"),
            assets=assets,
        )

    async def _place(self, found: InspectionOut) -> str:
        factory = await self.session.get(Factory, found.order.factory.id)
        return ", ".join(p for p in (factory.name, factory.address) if p) if factory else ""

    @staticmethod
    def _plans(found: InspectionOut) -> list[dict[str, Any]]:
        aqls = {"critical": found.aql_critical, "major": found.aql_major, "minor": found.aql_minor}
        return [{"severity": s, "aql": aqls[s], "plan": found.plans.get(s),
                 "found": found.result.severities.get(s, {}).get("count", 0),
                 "verdict": found.result.severities.get(s, {}).get("verdict", "pending")} for s in SEVERITY_ORDER]

    @staticmethod
    def _totals(found: InspectionOut) -> dict[str, int]:
        totals = dict.fromkeys(SEVERITY_ORDER, 0)
        for defect in found.defects:
            totals[defect.severity] += defect.count
        return totals

    @staticmethod
    def _cartons(found: InspectionOut) -> list[dict[str, Any]]:
        first_scan = {}
        for scan in found.scans:
            if scan.carton_number is not None and scan.verdict == "ok":
                first_scan.setdefault(scan.carton_number, scan.scanned_at)
        return [{"c": c, "scanned_at": first_scan.get(c.number),
                 "contents": ", ".join(f"{i.colour}/{i.size} ×{i.quantity}" for i in c.items)}
                for c in sorted(found.cartons, key=lambda c: c.number)]

    @staticmethod
    def _measurements(found: InspectionOut) -> list[dict[str, Any]]:
        """A table per size: a row per point, a column per sample unit."""
        points = {p.code: p for p in found.spec_sheet.points} if found.spec_sheet else {}
        by_size: dict[str, dict[str, Any]] = {}
        for m in found.measurements:
            table = by_size.setdefault(m.size, {"size": m.size, "units": [], "rows": {}})
            if m.sample_unit not in table["units"]:
                table["units"].append(m.sample_unit)
            row = table["rows"].setdefault(m.point, {"point": points.get(m.point), "code": m.point, "spec": m.spec,
                                                     "unit": m.unit, "cells": {}})
            row["cells"][m.sample_unit] = m
        return [{**t, "rows": list(t["rows"].values())} for t in by_size.values()]

    def html(self, report: Report, *, pdf: bool = False) -> str:
        return environment().get_template("report.html").render(**report.context, pdf=pdf)

    async def pdf(self, report: Report) -> bytes:
        from api.reports.pdf import render_pdf

        html = self.html(report, pdf=True)
        return await anyio.to_thread.run_sync(render_pdf, html, report.assets, self.storage, limiter=render_slots())
