"""The phone app's files, without a browser: the size budget, the precache list, the vendored libraries."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

from PIL import Image

PWA = Path(__file__).resolve().parents[2] / "static" / "pwa"
VENDOR = PWA / "vendor"
TEST_VENDOR = Path(__file__).resolve().parent / "vendor"
BUDGET = 150 * 1024  # the shell, gzipped, without the barcode decoder (zxing-wasm: glue and wasm)
OFFICE_BUDGET = 120 * 1024  # the office screens (js/ui/office and their words, 13 screens), gzipped


def _list(name: str) -> list[str]:
    """A URL list of sw.js (`const NAME = [...]`)."""
    source = (PWA / "sw.js").read_text()
    match = re.search(rf"const {name} = \[(.*?)\];", source, re.S)
    assert match, f"sw.js has no {name} list"
    return re.findall(r"'([^']+)'", match.group(1))


def shell_digest() -> str:
    """The first 10 hex digits of a sha256 over every precached file (URL and content)."""
    digest = hashlib.sha256()
    for url in sorted(_list("SHELL") + _list("OFFICE") + _list("DECODER")):
        digest.update(f"{url}\0{hashlib.sha256(_file(url).read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()[:10]


def _file(url: str) -> Path:
    assert url.startswith("/app/"), url
    relative = url.removeprefix("/app/")
    return PWA / (relative or "index.html")


def test_the_shell_is_under_150_kb_gzipped_and_the_office_screens_under_120_kb() -> None:
    sizes = {url: len(gzip.compress(_file(url).read_bytes(), compresslevel=9)) for url in _list("SHELL")}
    total = sum(sizes.values())
    print(f"shell: {len(sizes)} files, {total / 1024:.1f} KB gzipped")
    assert total < BUDGET, sorted(sizes.items(), key=lambda kv: -kv[1])
    office = {url: len(gzip.compress(_file(url).read_bytes(), compresslevel=9)) for url in _list("OFFICE")}
    print(f"office screens: {len(office)} files, {sum(office.values()) / 1024:.1f} KB gzipped")
    assert sum(office.values()) < OFFICE_BUDGET, sorted(office.items(), key=lambda kv: -kv[1])
    # The office screens need the network: nothing an inspector's offline work loads may be among them.
    assert all(url.startswith(("/app/js/ui/office/", "/app/js/office")) for url in office)


def test_the_service_worker_precaches_every_file_the_app_loads() -> None:
    shell, office, decoder = _list("SHELL"), _list("OFFICE"), _list("DECODER")
    assert len(shell + office) == len(set(shell + office))
    listed = {_file(url) for url in shell + office + decoder}
    assert all(path.is_file() for path in listed), [p for p in listed if not p.is_file()]
    # Everything under static/pwa is precached, except the worker itself and the vendored libraries' papers.
    papers = {"LICENSE", "VERSIONS", "SHA256SUMS"}
    files = {p for p in PWA.rglob("*") if p.is_file() and p.name != "sw.js"
             and not (p.name in papers or p.name.startswith("LICENSE."))}
    assert files == listed, {"not precached": sorted(map(str, files - listed))}
    # The decoder (zxing-wasm's glue and wasm, loaded on the first scan) has its own cache, outside the shell.
    assert "/app/vendor/zxing-wasm/zxing_reader.wasm" in decoder
    assert all(url.startswith("/app/vendor/zxing-wasm/") for url in decoder)
    assert not any(url.startswith("/app/vendor/zxing-wasm/") for url in shell)
    # The decoder's cache is named by the zxing-wasm version that is vendored.
    version = re.search(r"^zxing-wasm (\S+) ", (VENDOR / "VERSIONS").read_text(), re.M).group(1)
    assert f"'floorcheck-decoder-zxing-wasm-{version}'" in (PWA / "sw.js").read_text()


def _check_vendor(folder: Path, names: list[str]) -> dict[str, str]:
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.removeprefix("./")] = digest
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert set(sums) == on_disk
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    versions = {}
    for line in (folder / "VERSIONS").read_text().splitlines():
        if line.startswith("#"):
            continue
        name, version, licence, integrity = line.split()[:4]
        assert integrity.startswith("sha512-") or name == "zxing-cpp", line
        versions[name] = f"{version} {licence}"
    assert sorted(versions) == sorted(names)
    return versions


def test_the_service_worker_version_changes_with_the_files() -> None:
    """Phones run the shell from the cache until the worker changes: a file changed without a new VERSION
    would never reach them. VERSION ends with the digest of the precached files."""
    version = re.search(r"const VERSION = '([^']+)';", (PWA / "sw.js").read_text()).group(1)
    expected = shell_digest()
    assert version.endswith(f"-{expected}"), (
        f"static/pwa changed: run scripts/pwa-shell (VERSION must end with -{expected}; now '{version}')")


def test_vendored_libraries_have_their_licences_versions_and_sums() -> None:
    versions = _check_vendor(VENDOR, ["idb", "htm", "preact", "zxing-wasm", "zxing-cpp"])
    assert versions["idb"].startswith("8.") and versions["zxing-wasm"].startswith("3.")
    for folder in ("idb", "htm", "zxing-wasm"):
        assert (VENDOR / folder / "LICENSE").stat().st_size > 500
    assert "MIT" in (VENDOR / "htm" / "LICENSE.preact").read_text()
    assert "Apache License" in (VENDOR / "zxing-wasm" / "LICENSE.zxing-cpp").read_text()
    # The reader module knows the sha256 of the wasm it was built for.
    module = (VENDOR / "zxing-wasm" / "reader" / "index.js").read_text()
    wasm = hashlib.sha256((VENDOR / "zxing-wasm" / "zxing_reader.wasm").read_bytes()).hexdigest()
    assert f'"{wasm}"' in module
    tests = _check_vendor(TEST_VENDOR, ["axe-core"])
    assert tests["axe-core"].endswith("MPL-2.0") and (TEST_VENDOR / "LICENSE").is_file()


def test_nothing_in_the_app_points_at_a_cdn() -> None:
    """The app's own files name no other host; zxing-wasm's default CDN URL is overridden (js/decoder.js)."""
    own = [p for p in PWA.rglob("*") if p.suffix in {".js", ".html", ".css", ".webmanifest"} and "vendor" not in p.parts]
    for path in own:
        assert not re.search(r"https?://", path.read_text()), path
    assert "locateFile" in (PWA / "js" / "decoder.js").read_text()


def test_manifest_makes_an_installable_app() -> None:
    manifest = json.loads((PWA / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone" and manifest["name"] and manifest["short_name"]
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    for size in ("192x192", "512x512"):
        for purpose in ("any", "maskable"):
            image = Image.open(_file(icons[(size, purpose)]))
            assert image.format == "PNG" and f"{image.width}x{image.height}" == size
    # Maskable icons fill the square (Android crops them); the Apple touch icon is opaque.
    assert Image.open(_file(icons[("512x512", "maskable")])).convert("RGBA").getpixel((0, 0))[3] == 255
    apple = Image.open(PWA / "icons" / "apple-touch-icon.png").convert("RGBA")
    assert apple.size == (180, 180) and apple.getextrema()[3] == (255, 255)
