// Scanning with the camera, decoded on the phone. The native BarcodeDetector where it exists (Chrome on
// Android); when it reads a Code 128, zxing-wasm reads the frame again to learn whether it is GS1 (]C1),
// which BarcodeDetector cannot tell. Without it (iOS, Linux Chromium) zxing-wasm reads every frame. The
// decoder (vendored wasm, cached by the service worker) is started on the first scan. The first frames
// of a camera can be black: frames are read until one gives a code.
import { t } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';

let decoder = null;
/** The zxing-wasm decoder module, started once (js/decoder.js). */
export function startDecoder() {
  decoder ??= import('../../decoder.js').then((module) => { module.warmUp(); return module; })
    .catch((error) => { decoder = null; throw error; });
  return decoder;
}

const FRAME_GAP_MS = 120;
const MAX_SIDE = 1280;

async function nativeDetector() {
  if (!('BarcodeDetector' in globalThis)) return null;
  try {
    const formats = await globalThis.BarcodeDetector.getSupportedFormats();
    return formats.length ? new globalThis.BarcodeDetector({ formats }) : null;
  } catch {
    return null;
  }
}

/** The codes in one frame: [{text, symbologyIdentifier}] ("]C1" for GS1-128, when known). */
async function readFrame(canvas, native) {
  const image = canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, canvas.width, canvas.height);
  if (native) {
    const found = await native.detect(canvas);
    if (!found.length) return [];
    if (!found.some((code) => code.format === 'code_128')) {
      return found.map((code) => ({ text: code.rawValue, symbologyIdentifier: null }));
    }
  }
  const { decode } = await startDecoder();
  return (await decode(image)).map((code) => ({ text: code.text, symbologyIdentifier: code.symbologyIdentifier }));
}

/** The live camera; onCodes(codes) with the first frame that gives any code (then it stops). */
export function CameraScanner({ onCodes, onClose }) {
  const video = useRef(null);
  const [status, setStatus] = useState('camera_starting');
  useEffect(() => {
    let stream = null;
    let stopped = false;
    let timer = null;
    const canvas = document.createElement('canvas');
    (async () => {
      try {
        const [media, native] = await Promise.all([
          navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 } } }),
          nativeDetector(),
          startDecoder(),
        ]);
        stream = media;
        if (stopped) return;
        video.current.srcObject = stream;
        await video.current.play().catch(() => {});
        setStatus('camera_aim');
        const tick = async () => {
          if (stopped) return;
          const v = video.current;
          if (v && v.videoWidth) {
            const scale = Math.min(1, MAX_SIDE / Math.max(v.videoWidth, v.videoHeight));
            canvas.width = Math.round(v.videoWidth * scale);
            canvas.height = Math.round(v.videoHeight * scale);
            canvas.getContext('2d', { willReadFrequently: true }).drawImage(v, 0, 0, canvas.width, canvas.height);
            const codes = await readFrame(canvas, native).catch((error) => { console.warn(error); return []; });
            if (stopped) return;
            if (codes.length) { stopped = true; onCodes(codes); return; }
          }
          timer = setTimeout(tick, FRAME_GAP_MS);
        };
        tick();
      } catch (error) {
        console.warn(error);
        if (!stopped) setStatus(error?.name === 'NotAllowedError' ? 'camera_denied' : 'camera_failed');
      }
    })();
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, []);
  const failed = status === 'camera_denied' || status === 'camera_failed';
  return html`
    <div class="camera" data-camera>
      <video ref=${video} muted playsinline autoplay aria-hidden="true"></video>
      <p class=${`notice ${failed ? 'error' : ''}`} role="status">${t(status)}</p>
      <button type="button" class="btn secondary block" onClick=${onClose}>${t('camera_stop')}</button>
    </div>`;
}
