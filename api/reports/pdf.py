"""HTML to PDF with WeasyPrint, reading every image from storage and nothing from anywhere else."""

from __future__ import annotations

import gc
from urllib.parse import urlsplit

from PIL import ImageFile

from api.media import storage as stored

# WeasyPrint's import turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process: after the first PDF, a
# truncated photo or signature would be accepted as an image (api/imaging.py refuses them). Put it back; the
# report embeds only stored images, which are whole.
_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

ImageFile.LOAD_TRUNCATED_IMAGES = _truncated

PDF_BASE = "https://report.floorcheck.invalid/"


class StorageFetcher(URLFetcher):
    """Answers the report's own media URLs from storage: never over HTTP (not even to this app, whose worker
    would wait on itself), never a file: URL, never another host."""

    def __init__(self, assets: dict[str, str | bytes], storage: stored.Storage) -> None:
        super().__init__(allowed_protocols=("https",), fail_on_errors=False)
        self.assets = assets
        self.storage = storage

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        asset = self.assets.get(parts.path) if f"{parts.scheme}://{parts.netloc}/" == PDF_BASE else None
        if asset is None:
            raise ValueError(f"the report may not fetch {url}")
        if isinstance(asset, bytes):
            return URLFetcherResponse(url, asset, {"Content-Type": "image/png"})
        return URLFetcherResponse(url, self.storage.get(asset), {"Content-Type": "image/jpeg"})


def render_pdf(html: str, assets: dict[str, str | bytes], storage: stored.Storage) -> bytes:
    # optimize_images, jpeg_quality and dpi stay unset: the stored display JPEGs go into the PDF as they are.
    try:
        return HTML(string=html, base_url=PDF_BASE, url_fetcher=StorageFetcher(assets, storage)).write_pdf()
    finally:
        # A render leaves large cyclic structures (boxes, fonts, images): free them now, not at some later
        # collection, or a long-running worker's memory creeps up report by report.
        gc.collect()
