// The barcode decoder: zxing-wasm's reader, from the vendored files only. Its default locateFile fetches
// the .wasm from a CDN, which fails offline and in mainland China: it is pointed at our copy, which the
// service worker caches at install. Import this module lazily, on the first scan.
import { prepareZXingModule, readBarcodes } from '../vendor/zxing-wasm/reader/index.js';

export const WASM_URL = new URL('../vendor/zxing-wasm/zxing_reader.wasm', import.meta.url).href;

// One overrides object: prepareZXingModule compares it to the last one and keeps the module when equal.
const overrides = { locateFile: (path, prefix) => (path.endsWith('.wasm') ? WASM_URL : prefix + path) };
prepareZXingModule({ overrides, fireImmediately: false });

/** Start the decoder now (the first decode would otherwise wait for it). */
export function warmUp() {
  return prepareZXingModule({ overrides, fireImmediately: true });
}

/**
 * Decode the barcodes in an image (Blob, ImageData …). Each result has `text`, `format` and
 * `symbologyIdentifier` ("]C1" for GS1-128, which BarcodeDetector cannot tell).
 */
export async function decode(image, options = {}) {
  const results = await readBarcodes(image, { tryHarder: true, maxNumberOfSymbols: 8, ...options });
  return results.filter((result) => result.isValid);
}
