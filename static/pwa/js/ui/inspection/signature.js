// A signature drawn with a finger (pointer events: touch, pen and mouse alike) on a canvas, saved as a PNG
// with the signer's name. The drawing surface (usePad + DrawingPad) is shared with the office's result screen,
// where the factory signs on its own login; SignaturePad is the inspection's, saved through the outbox.
import { errorMessage } from '../../api.js';
import { formatDateTime, t } from '../../i18n.js';
import { signReport } from '../../records.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { RecordIssue, useDirty } from './parts.js';

const WIDTH = 640;
const HEIGHT = 240;

/** The state of a drawing surface: {canvas (its ref), drawn, clear(), png() → the PNG as base64}. */
export function usePad() {
  const canvas = useRef(null);
  const [drawn, setDrawn] = useState(false);
  return {
    canvas, drawn, setDrawn,
    clear() {
      canvas.current?.getContext('2d').clearRect(0, 0, WIDTH, HEIGHT);
      setDrawn(false);
    },
    png: () => canvas.current.toDataURL('image/png').split(',')[1],
  };
}

/** The canvas of a usePad() to draw on; `label` names it for a screen reader (what to draw, for whom). */
export function DrawingPad({ pad, label }) {
  useEffect(() => {
    const c = pad.canvas.current;
    if (!c) return undefined;
    const ctx = c.getContext('2d');
    ctx.lineWidth = 4;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.strokeStyle = '#14171a';
    let last = null;
    const at = (event) => {
      const box = c.getBoundingClientRect();
      return [(event.clientX - box.left) * (c.width / box.width), (event.clientY - box.top) * (c.height / box.height)];
    };
    const down = (event) => {
      event.preventDefault();
      c.setPointerCapture?.(event.pointerId);
      last = at(event);
      ctx.beginPath();
      ctx.arc(last[0], last[1], 2, 0, Math.PI * 2);
      ctx.fill();
      pad.setDrawn(true);
    };
    const move = (event) => {
      if (!last) return;
      event.preventDefault();
      const point = at(event);
      ctx.beginPath();
      ctx.moveTo(...last);
      ctx.lineTo(...point);
      ctx.stroke();
      last = point;
    };
    const up = () => { last = null; };
    c.addEventListener('pointerdown', down);
    c.addEventListener('pointermove', move);
    c.addEventListener('pointerup', up);
    c.addEventListener('pointercancel', up);
    return () => {
      c.removeEventListener('pointerdown', down);
      c.removeEventListener('pointermove', move);
      c.removeEventListener('pointerup', up);
      c.removeEventListener('pointercancel', up);
    };
  }, []);
  return html`<canvas ref=${pad.canvas} width=${WIDTH} height=${HEIGHT} class="pad" role="img" aria-label=${label}></canvas>`;
}

export function SignaturePad({ data, user, role, entry, defaultName = '' }) {
  const pad = usePad();
  const [name, setName] = useState(defaultName);
  const [error, setError] = useState(null);
  useDirty(`sign-${role}`, !entry && pad.drawn);

  async function sign() {
    if (!name.trim()) return setError(t('sign_name_missing'));
    if (!pad.drawn) return setError(t('sign_missing'));
    setError(null);
    try {
      await signReport(data, user, role, name.trim(), pad.png());
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  const title = t(`signer.${role}`);
  if (entry) {
    return html`
      <section class="signature signed" aria-label=${title} data-signature=${role}>
        <h3>${title}</h3>
        <p class="notice ok"><span aria-hidden="true">✓ </span>${t('signed_by', { name: entry.record.name, time: formatDateTime(entry.record.signed_at) })}</p>
        <${RecordIssue} entry=${entry} />
      </section>`;
  }
  return html`
    <section class="signature" aria-label=${title} data-signature=${role}>
      <h3>${title}</h3>
      <label class="field"><span>${t('signer_name')}</span>
        <input value=${name} maxlength="120" autocomplete="name" onInput=${(e) => setName(e.currentTarget.value)} />
      </label>
      <${DrawingPad} pad=${pad} label=${t('sign_here', { who: title })} />
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${pad.clear}>${t('clear')}</button>
        <button type="button" class="btn primary" onClick=${sign}>${t('sign')}</button>
      </div>
    </section>`;
}
