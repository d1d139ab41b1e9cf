// Scan cartons: typed by hand, with the camera (decoded on the phone), or from a photo of the label sent to
// the server's decoder when online. A label carries several codes: scanVerdict (logic/cartons.js) takes
// the one that matches the downloaded packing list and judges it at once; the server's verdict replaces
// the phone's after sync when they differ.
import { errorMessage } from '../../api.js';
import { recordsOfKind } from '../../db.js';
import { t } from '../../i18n.js';
import { scanContext, scanVerdict } from '../../logic/cartons.js';
import { loadInspection, saveScan } from '../../records.js';
import { html, useState } from '../html.js';
import { CameraScanner, startDecoder } from './camera.js';
import { RecordIssue, local, useDirty } from './parts.js';
import { CartonsToPull, scannedCartons } from './start.js';

const GOOD = new Set(['ok']);
const NOTE = new Set(['already_scanned', 'not_selected']);
const tone = (verdict) => (GOOD.has(verdict) ? 'ok' : NOTE.has(verdict) ? 'warn' : 'bad');

/** The code to send for a decoded symbol: a GS1 element string read raw keeps its symbology identifier (]C1),
 * so that the server reads it as GS1 too; "(00)…" says so by itself. */
function codeText(code) {
  const { text, symbologyIdentifier: id } = code;
  if (id && /^\][Cde]1|^\]Q3|^\]J1/.test(id) && !/^[(\]]/.test(text)) return `${id}${text}`;
  return text;
}

// Scans are judged and saved one after the other, in the order they were made: a hand scanner types fast, and
// each verdict depends on the scans before it (already scanned, the carton opened last).
let queue = Promise.resolve();

/** Judge the codes of one scan against the downloaded packing lists (this order's, and any other order's on
 * the phone, to tell its codes) and the scans so far. */
async function judge(data, codes) {
  const [orders, lists] = await Promise.all([recordsOfKind('order'), recordsOfKind('packing_list')]);
  const context = scanContext([data.head, ...orders, ...lists, ...data.scans], data.id);
  return scanVerdict(codes.map((c) => ({ ...c, text: codeText(c) })), context);
}

function Verdict({ entry, latest }) {
  const scan = entry.record;
  const message = local(scan, 'message') || t(`scan.${scan.verdict}`);
  return html`
    <li class=${`scan ${tone(scan.verdict)} ${latest ? 'latest' : ''}`} data-verdict=${scan.verdict}>
      <span class="scan-verdict">${t(`scan.${scan.verdict}`)}</span>
      <span class="scan-message">${message}</span>
      <span class="scan-code muted">${scan.text.replace(/^\][A-Za-z]\d/, '')}${scan.judged_on_phone ? ` · ${t('judged_here')}` : ''}</span>
      <${RecordIssue} entry=${entry} />
    </li>`;
}

export function CartonsScreen({ data, user, state, frozen }) {
  const [code, setCode] = useState('');
  const [camera, setCamera] = useState(false);
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  useDirty('scan', code.trim() !== '');

  function record(codes, source) {
    setError(null);
    startDecoder().catch(() => {});  // the first scan starts the decoder, for the camera's turn
    const saved = queue.then(async () => {
      const current = await loadInspection(data.id);  // with the scans saved just before this one
      const judged = await judge(current, codes);
      if (!judged) throw Object.assign(new Error('no code'), { unusable: true });
      await saveScan(current, user, judged.code, judged, source);
    });
    queue = saved.catch(() => {});
    return saved;
  }

  async function typed(event) {
    event.preventDefault();
    const text = code.trim();
    if (!text) return;
    setCode('');  // ready for the next code at once
    try {
      await record([{ text }], 'typed');
    } catch (failure) {
      if (!failure.unusable) console.error(failure);
      setError(failure.unusable ? t('code_unusable') : errorMessage(failure));
      setCode((now) => now || text);  // give it back to correct, unless another was typed meanwhile
    }
  }

  async function fromCamera(codes) {
    setCamera(false);
    try {
      await record(codes, 'camera');
    } catch (failure) {
      if (!failure.unusable) console.error(failure);
      setError(failure.unusable ? t('code_unusable') : errorMessage(failure));
    }
  }

  async function fromPhoto(event) {
    const file = event.currentTarget.files[0];
    event.currentTarget.value = '';
    if (!file) return;
    setBusy('photo_reading');
    setError(null);
    try {
      const form = new FormData();
      form.append('image', file, file.name || 'label.jpg');
      const answer = await fetch('/api/barcodes/decode', { method: 'POST', body: form, credentials: 'same-origin' });
      const body = await answer.json().catch(() => ({}));
      if (!answer.ok) throw Object.assign(new Error(body.detail), { problem: body });
      const codes = (body.barcodes || []).map((b) => ({ text: b.text, symbologyIdentifier: b.symbology_identifier }));
      if (!codes.length) setError(t('photo_no_code'));
      else await record(codes, 'photo');
    } catch (failure) {
      setError(failure.unusable ? t('code_unusable') : failure.problem ? local(failure.problem, 'detail') : t('error_network'));
    } finally {
      setBusy(null);
    }
  }

  const scans = [...data.scans].reverse();
  const opened = scannedCartons(data);
  const picked = data.inspection.cartons || [];
  return html`
    <h1>${t('tab.cartons')}</h1>
    <p class="progress-line" data-opened>${t('cartons_opened', { n: picked.filter((c) => opened.has(c.number)).length, of: picked.length })}</p>
    ${frozen ? null : html`
      <form class="scanform" onSubmit=${typed}>
        <label class="field"><span>${t('carton_code')}</span>
          <input name="code" value=${code} autocomplete="off" autocapitalize="characters" spellcheck="false"
            enterkeyhint="done" onInput=${(e) => setCode(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn primary">${t('record_scan')}</button>
      </form>
      ${camera ? html`<${CameraScanner} onCodes=${fromCamera} onClose=${() => setCamera(false)} />` : html`
        <div class="scan-actions">
          <button type="button" class="btn secondary" onClick=${() => setCamera(true)}>${t('scan_with_camera')}</button>
          ${state.online ? html`
            <label class="btn secondary">
              ${t(busy || 'scan_label_photo')}
              <input type="file" accept="image/*" capture="environment" class="overlay" disabled=${Boolean(busy)} onChange=${fromPhoto} />
            </label>` : null}
        </div>`}`}
    ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
    ${scans.length ? html`
      <h2>${t('scans_title')}</h2>
      <ul class="scans" aria-live="polite" data-scans>${scans.map((e, i) => html`<${Verdict} key=${e.key} entry=${e} latest=${i === 0} />`)}</ul>` : null}
    <h2>${t('cartons_title', { n: picked.length })}</h2>
    <${CartonsToPull} data=${data} scanned=${opened} />`;
}
