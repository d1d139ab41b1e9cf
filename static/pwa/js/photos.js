// Photos on the phone: taken offline, kept in IndexedDB (store "photos", apart from the records), uploaded
// one per request with a progress bar once the records naming them are on the server.
//
// Before it is stored, a photo is made upright and downscaled to at most 2048 px on its long side (JPEG,
// quality 0.85). A canvas drops the EXIF, and the server needs it (capture time, camera, GPS: provenance and
// the capture-time flags), so the original's EXIF (APP1) is copied into the new JPEG with its Orientation set
// to 1 (the pixels are upright now) and the pixel dimensions it states set to the new ones.
//
// The full-size blob is deleted only once the server has confirmed the upload; a small thumbnail stays for
// offline display. A replayed upload (same id, same bytes) answers 200, so a retry after a lost answer is safe.
import { ApiError, upload } from './api.js';
import { db, getRecord, notifyLocalChange, outboxOf } from './db.js';
import { SessionEnded, isTransient } from './outbox.js';
import { sessionEnded } from './session.js';
import { setState } from './store.js';
import { useEffect, useState } from './ui/html.js';

export const MAX_SIDE = 2048;
export const QUALITY = 0.85;
const THUMB_SIDE = 320;
const THUMB_QUALITY = 0.7;

// --- EXIF: copy the original's APP1 into the downscaled JPEG -------------------------------------------------

const isExifHeader = (bytes, at) => bytes[at] === 0x45 && bytes[at + 1] === 0x78 && bytes[at + 2] === 0x69
  && bytes[at + 3] === 0x66 && bytes[at + 4] === 0 && bytes[at + 5] === 0;  // "Exif\0\0"

/** Walk a JPEG's segments up to the image data: visit(marker, start, length) for each; stop when it returns true. */
function segments(bytes, visit) {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return;
    const marker = bytes[at + 1];
    if (marker === 0xff) { at += 1; continue; }  // fill byte
    if (marker === 0xda || marker === 0xd9) return;  // the image data, or its end
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (length < 2 || visit(marker, at, length)) return;
    at += 2 + length;
  }
}

/** The original's Exif APP1 segment (marker included), or null. */
export function exifSegment(bytes) {
  let found = null;
  segments(bytes, (marker, at, length) => {
    if (marker === 0xe1 && length >= 16 && isExifHeader(bytes, at + 4)) found = bytes.slice(at, at + 2 + length);
    return Boolean(found);
  });
  return found;
}

/** The width and height a JPEG's frame header states (before any EXIF orientation), or null. */
export function jpegSize(bytes) {
  let size = null;
  segments(bytes, (marker, at) => {
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      size = { height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    return Boolean(size);
  });
  return size;
}

const ORIENTATION = 0x0112;
const EXIF_IFD = 0x8769;
const PIXEL_X = 0xa002;
const PIXEL_Y = 0xa003;

/**
 * A copy of an Exif APP1 segment for the new pixels: Orientation (IFD0) set to `orientation`, the Exif IFD's
 * PixelXDimension / PixelYDimension set to the new size, and IFD1 (a thumbnail of the old pixels) unlinked.
 * Returns {segment, orientation (the original's)}, or null when the EXIF cannot be read (then none is copied:
 * a wrong Orientation would turn the upright picture).
 */
export function patchExif(segment, { width, height, orientation = 1 } = {}) {
  const copy = segment.slice();
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  const tiff = 10;  // FF E1, length, "Exif\0\0"
  try {
    const order = view.getUint16(tiff);
    if (order !== 0x4949 && order !== 0x4d4d) return null;
    const little = order === 0x4949;
    if (view.getUint16(tiff + 2, little) !== 42) return null;
    const setNumber = (entry, value) => {
      const type = view.getUint16(entry + 2, little);
      if (type === 3) view.setUint16(entry + 8, value, little);  // SHORT
      else if (type === 4) view.setUint32(entry + 8, value, little);  // LONG
    };
    const walk = (ifd, visit) => {
      const count = view.getUint16(ifd, little);
      for (let i = 0; i < count; i += 1) visit(view.getUint16(ifd + 2 + 12 * i, little), ifd + 2 + 12 * i);
      return ifd + 2 + 12 * count;  // where the offset of the next IFD is
    };
    const ifd0 = tiff + view.getUint32(tiff + 4, little);
    let original = 1;
    let exifIfd = null;
    const next = walk(ifd0, (tag, entry) => {
      if (tag === ORIENTATION) {
        original = view.getUint16(entry + 8, little);
        setNumber(entry, orientation);
      } else if (tag === EXIF_IFD) {
        exifIfd = tiff + view.getUint32(entry + 8, little);
      }
    });
    view.setUint32(next, 0, little);
    if (exifIfd !== null && exifIfd < copy.length) {
      walk(exifIfd, (tag, entry) => {
        if (tag === PIXEL_X) setNumber(entry, width);
        else if (tag === PIXEL_Y) setNumber(entry, height);
      });
    }
    return { segment: copy, orientation: original };
  } catch {
    return null;  // a RangeError: offsets that point outside the segment
  }
}

/** The JPEG with `segment` inserted after SOI (and after a JFIF APP0, which must come first). */
export function insertSegment(jpeg, segment) {
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + ((jpeg[4] << 8) | jpeg[5]);
  return new Blob([jpeg.subarray(0, at), segment, jpeg.subarray(at)], { type: 'image/jpeg' });
}

// --- downscaling -------------------------------------------------------------------------------------------

/** The picture, upright (EXIF orientation applied by the browser), as something a canvas can draw. */
async function decode(file) {
  if (typeof createImageBitmap === 'function') {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      return { source: bitmap, width: bitmap.width, height: bitmap.height, close: () => bitmap.close() };
    } catch { /* a browser that cannot decode it this way: try an <img> */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    return { source: image, width: image.naturalWidth, height: image.naturalHeight, close: () => {} };
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function encode(source, width, height, quality) {
  if (typeof OffscreenCanvas === 'function') {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    context.imageSmoothingQuality = 'high';
    context.drawImage(source, 0, 0, width, height);
    return canvas.convertToBlob({ type: 'image/jpeg', quality });
  }
  const canvas = document.createElement('canvas');
  Object.assign(canvas, { width, height });
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error('The photo could not be encoded.'))), 'image/jpeg', quality));
}

const fit = (width, height, side) => {
  const scale = Math.min(1, side / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
};

/**
 * The photo as it is stored and uploaded: {blob (JPEG, upright, ≤ 2048 px, with the original's EXIF), thumb,
 * width, height}. A picture this browser cannot decode (HEIC on Android) is kept as it is: the server reads it.
 */
export async function preparePhoto(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let picture;
  try {
    picture = await decode(file);
  } catch {
    return { blob: new Blob([bytes], { type: file.type || 'application/octet-stream' }), thumb: null, width: null, height: null };
  }
  try {
    const [width, height] = fit(picture.width, picture.height, MAX_SIDE);
    const jpeg = new Uint8Array(await (await encode(picture.source, width, height, QUALITY)).arrayBuffer());
    const exif = exifSegment(bytes);
    let blob = new Blob([jpeg], { type: 'image/jpeg' });
    if (exif) {
      // A browser that did not apply the EXIF orientation (the frame is not turned although the EXIF says
      // so) leaves the pixels as stored: then the Orientation stays as it was, for the server to apply.
      const raw = jpegSize(bytes);
      const turned = raw && raw.width !== raw.height && raw.width === picture.height && raw.height === picture.width;
      const probe = patchExif(exif, { width, height });
      const applied = !probe || probe.orientation < 5 || turned || !raw;
      const patched = applied ? probe : patchExif(exif, { width, height, orientation: probe.orientation });
      if (patched) blob = insertSegment(jpeg, patched.segment);
    }
    const [thumbWidth, thumbHeight] = fit(picture.width, picture.height, THUMB_SIDE);
    const thumb = await encode(picture.source, thumbWidth, thumbHeight, THUMB_QUALITY);
    return { blob, thumb, width, height };
  } finally {
    picture.close();
  }
}

// --- taking a photo ----------------------------------------------------------------------------------------

/**
 * Keep a photo on the phone for upload; resolves to its new id (crypto.randomUUID()), which the records that
 * show it name in their photo_ids. The links are sent with the upload (they are the upload's query).
 */
export async function addPhoto(file, { inspectionId, userId, defectId = null, checklistItem = null, sampleUnit = null,
  cartonNumber = null, caption = '' } = {}) {
  if (!inspectionId || !userId) throw new TypeError('addPhoto: the inspection and the user are required');
  const prepared = await preparePhoto(file);
  const id = crypto.randomUUID();
  await (await db()).put('photos', {
    id, user_id: userId, inspection_id: inspectionId, defect_id: defectId, checklist_item: checklistItem,
    sample_unit: sampleUnit, carton_number: cartonNumber, caption: caption ?? '',
    blob: prepared.blob, thumb: prepared.thumb, width: prepared.width, height: prepared.height,
    byte_size: prepared.blob.size, name: file.name ?? null, state: 'pending', created_at: new Date().toISOString(),
    attempts: 0, last_error: null, server: null,
  });
  notifyLocalChange({ kind: 'photo', key: id, source: 'user' });
  return id;
}

/**
 * Where to show a photo: an object URL of the local picture (the full one until uploaded, then the thumbnail),
 * else the server's display image. A new object URL each call: the caller revokes it when done.
 */
export async function photoUrl(photoId) {
  const photo = await (await db()).get('photos', photoId);
  const blob = photo?.blob ?? photo?.thumb;
  if (blob) return URL.createObjectURL(blob);
  return `/media/photos/${encodeURIComponent(photoId)}/display`;
}

/** {state: 'pending' | 'uploaded' | 'error', fraction, done, error}: a photo not on this phone is the server's. */
export async function photoState(photoId) {
  const photo = await (await db()).get('photos', photoId);
  if (!photo) return { state: 'uploaded', fraction: 1, done: true, error: null };
  const done = photo.state === 'uploaded';
  return { state: photo.state, fraction: done ? 1 : 0, done, error: photo.state === 'error' ? photo.last_error : null };
}

// --- progress --------------------------------------------------------------------------------------------

const progress = new Map();  // photo id → {state, fraction, done, error}, for uploads of this session
const progressListeners = new Set();
let published = '';

/** listener(photoId, {fraction, done, error}) on every change of an upload's progress. */
export function onPhotoProgress(listener) {
  progressListeners.add(listener);
  return () => progressListeners.delete(listener);
}

function report(photoId, change) {
  const value = { ...(progress.get(photoId) ?? { state: 'pending', fraction: 0, done: false, error: null }), ...change };
  progress.set(photoId, value);
  for (const listener of progressListeners) listener(photoId, value);
  // The app's state holds {photoId: fraction} of the uploads in flight, in steps of 2 % (not every event).
  const inFlight = Object.fromEntries([...progress].filter(([, v]) => !v.done && !v.error).map(([id, v]) => [id, v.fraction]));
  const coarse = JSON.stringify(Object.entries(inFlight).map(([id, f]) => [id, Math.floor(f * 50)]));
  if (coarse !== published) {
    published = coarse;
    setState({ photoProgress: inFlight });
  }
}

/** A component's view of one photo's upload: {state, fraction, done, error}, updated as it goes. */
export function usePhotoProgress(photoId) {
  const [value, setValue] = useState(() => progress.get(photoId));
  useEffect(() => {
    let live = true;
    setValue(progress.get(photoId));
    const off = onPhotoProgress((id, changed) => { if (id === photoId) setValue(changed); });
    if (!progress.has(photoId)) {
      photoState(photoId).then((stored) => { if (live && !progress.has(photoId)) setValue(stored); }).catch(() => {});
    }
    return () => { live = false; off(); };
  }, [photoId]);
  return value;
}

// --- upload ------------------------------------------------------------------------------------------------

function put(photo, onProgress) {
  const query = new URLSearchParams({ inspection_id: photo.inspection_id });
  if (photo.defect_id) query.set('defect_id', photo.defect_id);
  if (photo.checklist_item) query.set('checklist_item', photo.checklist_item);
  if (photo.sample_unit) query.set('sample_unit', photo.sample_unit);
  if (photo.carton_number != null) query.set('carton_number', String(photo.carton_number));
  if (photo.caption) query.set('caption', photo.caption);
  // The session's end is the sync's to handle (SessionEnded), not the 401 handler's.
  return upload(`/api/photos/${encodeURIComponent(photo.id)}?${query}`, { method: 'PUT', body: photo.blob, onProgress, auth: false })
    .then((data) => {
      if (data?.id) return data;
      throw new ApiError(502, { title: 'The answer names no photo.' });
    });
}

/** The server has it: drop the full-size blob (the thumbnail stays) and keep the server's record. */
async function confirmed(photo, body) {
  const database = await db();
  const inspection = await getRecord('inspection', photo.inspection_id);
  const tx = database.transaction(['photos', 'records'], 'readwrite');
  const current = await tx.objectStore('photos').get(photo.id);
  await tx.objectStore('photos').put({ ...(current ?? photo), blob: null, state: 'uploaded', server: body,
    uploaded_at: new Date().toISOString(), last_error: null });
  const records = tx.objectStore('records');
  const stored = await records.get(['photo', photo.id]);
  if (!stored?.pending) {
    await records.put({
      kind: 'photo', key: photo.id, version: stored?.version ?? 1, record: body, deleted: false,
      inspection_id: photo.inspection_id, order_id: stored?.order_id ?? inspection?.order_id ?? null,
      user_id: photo.user_id, pending: 0, server: null, received_at: new Date().toISOString(),
    });
  }
  await tx.done;
}

async function refused(photo, error) {
  const database = await db();
  const current = await database.get('photos', photo.id);
  const { detail = null, detail_zh: detailZh = null, title = null } = error.problem ?? {};
  await database.put('photos', { ...(current ?? photo), state: 'error', attempts: (photo.attempts ?? 0) + 1,
    last_error: { status: error.status, title, detail, detail_zh: detailZh, at: new Date().toISOString() } });
}

/**
 * Upload this user's photos that wait, one per request, oldest first; a photo waits while an outbox entry
 * that names it is still to be sent (the records go first). Resolves to {uploaded, waiting}; rejects with a
 * transient error (sync.js backs off) or SessionEnded. A refused photo is kept (state 'error') and shown.
 */
export async function uploadPhotos(user, { stillUser = () => true, onProgress } = {}) {
  const database = await db();
  // Oldest first: the index orders them by created_at.
  const photos = (await database.getAllFromIndex('photos', 'by_user_state',
    IDBKeyRange.bound([user.id, 'pending'], [user.id, 'pending', []]))).filter((photo) => photo.blob);
  if (!photos.length) return { uploaded: 0, waiting: 0 };
  const unsent = (await outboxOf(user.id)).filter((entry) => !entry.state).map((entry) => JSON.stringify(entry.operation));
  const ready = photos.filter((photo) => !unsent.some((text) => text.includes(photo.id)));
  const waiting = photos.length - ready.length;
  let uploaded = 0;
  for (const [index, photo] of ready.entries()) {
    if (!stillUser()) break;
    onProgress?.({ n: index + 1, total: ready.length });
    report(photo.id, { state: 'pending', fraction: 0, done: false, error: null });
    try {
      await database.put('photos', { ...photo, attempts: (photo.attempts ?? 0) + 1 });
      const body = await put(photo, (fraction) => report(photo.id, { fraction: Math.min(fraction, 0.99) }));
      await confirmed(photo, body);
      uploaded += 1;
      report(photo.id, { state: 'uploaded', fraction: 1, done: true });
      notifyLocalChange({ kind: 'photo', key: photo.id, source: 'sync' });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        report(photo.id, { fraction: 0 });
        await sessionEnded();
        throw new SessionEnded();
      }
      if (isTransient(error) || !(error instanceof ApiError)) {
        report(photo.id, { fraction: 0, error: { transient: true } });
        throw error;
      }
      await refused(photo, error);
      report(photo.id, { state: 'error', fraction: 0, error: error.problem ?? {} });
      notifyLocalChange({ kind: 'photo', key: photo.id, source: 'sync' });
    }
  }
  return { uploaded, waiting };
}

/** Upload a refused photo again (the user asked). */
export async function retryPhoto(photoId) {
  const database = await db();
  const photo = await database.get('photos', photoId);
  if (photo?.state !== 'error') return false;
  await database.put('photos', { ...photo, state: 'pending', last_error: null });
  progress.delete(photoId);
  notifyLocalChange({ kind: 'photo', key: photoId, source: 'user' });
  return true;
}

/** Delete a photo that is not on the server (the user decided: it was refused, or taken by mistake). */
export async function discardPhoto(photoId) {
  const database = await db();
  const photo = await database.get('photos', photoId);
  if (!photo || photo.state === 'uploaded') return false;
  await database.delete('photos', photoId);
  progress.delete(photoId);
  notifyLocalChange({ kind: 'photo', key: photoId, source: 'user' });
  return true;
}
