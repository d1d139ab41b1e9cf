// What every office screen shares: loading a screen's data online, the offline and failure notices, form
// fields that show the server's message where the field is, and a progress bar for long sends. The office
// screens need the network: offline they say so and load again by themselves when it is back.
import { ApiError, errorMessage, isNetworkError, request } from '../../api.js';
import '../../office-strings.js';
import { formatDate, language, t } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { SectionNav } from './nav.js';

export const get = (path) => request(path);
/** A write: POST, PUT, PATCH or DELETE with a JSON body; resolves to the answer (null for 204). */
export const send = (method, path, body) => request(path, { method, body });
export const dash = (value) => (value === null || value === undefined || value === '' ? '—' : value);
export const date = (iso) => (iso ? formatDate(iso) : '—');
export const zh = () => language() === 'zh';
/** A record's name in the UI's language: name_zh (or the given Chinese field) when Chinese is on. */
export const localName = (record, en = 'name', cn = `${en}_zh`) => (zh() && record?.[cn]) || record?.[en] || '';

export function NeedsNetwork() {
  return html`<p class="notice warn" data-needs-network>${t('office.needs_network')}</p>`;
}

export function Failed({ error, onRetry }) {
  if (isNetworkError(error)) return html`<${NeedsNetwork} />`;
  return html`
    <div class="notice error" role="alert">
      <p>${t('office.failed', { message: errorMessage(error) })}</p>
      ${onRetry ? html`<button type="button" class="btn secondary small" onClick=${onRetry}>${t('office.retry')}</button>` : null}
    </div>`;
}

/**
 * Load a screen's data while online: {data, error, loading, reload, setData}. `loader` is called again when a
 * value in `deps` changes and when the network comes back; an answer that arrives after a newer load started
 * is dropped.
 */
export function useLoad(state, loader, deps = []) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  async function reload() {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const answer = await loader();
      if (mine === seq.current) setData(answer);
    } catch (failure) {
      if (mine === seq.current) setError(failure);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }
  useEffect(() => { if (state.online) reload(); }, [...deps, state.online]);
  return { data, error, loading, reload, setData };
}

/**
 * The frame of an office screen: <main> named by data-screen, the sections bar (section: which tab is current)
 * or a back link ({href, label}), the heading (`heading`, else the title, which names the browser tab), and the
 * offline notice in place of the content while offline. A form keeps its content offline (keepOffline), so that
 * nothing typed is lost: it says itself what the network's absence means for it.
 */
export function OfficeScreen({ state, name, title, heading = title, section, back, keepOffline = false, children }) {
  useEffect(() => { document.title = `${title} · ${t('app_name')}`; }, [title, state.lang]);
  return html`
    <main id="main" tabindex="-1" class="screen office" data-screen=${name}>
      ${section ? html`<${SectionNav} user=${state.user} current=${section} />` : null}
      ${back ? html`<a class="back" href=${back.href}><span aria-hidden="true">‹ </span>${back.label}</a>` : null}
      <h1>${heading}</h1>
      ${state.online || keepOffline ? children : html`<${NeedsNetwork} />`}
    </main>`;
}

/** The screen's content once loaded: the loading line, the failure with a retry, or children(data). */
export function Loaded({ load, children }) {
  if (load.error) return html`<${Failed} error=${load.error} onRetry=${load.reload} />`;
  if (!load.data) return html`<p role="status">${t('loading')}</p>`;
  return children(load.data);
}

// --- forms ----------------------------------------------------------------------------------------------

/**
 * The server's refusal of a form, by field: {name: message}. A business rule names its field (`field`, as
 * "po_number" or "lines[2].gtin") with the message in both languages; a 400 lists each bad field (`errors`,
 * with `key`). `''` holds what names no field, so that it can be shown above the form.
 */
export function fieldErrors(error) {
  if (!(error instanceof ApiError)) return error ? { '': errorMessage(error) } : {};
  const { field, errors } = error.problem;
  if (field) return { [field]: errorMessage(error) };
  const listed = Array.isArray(errors) ? errors.filter((e) => e && typeof e.key === 'string' && e.key) : [];
  if (!listed.length) return { '': errorMessage(error) };
  const found = {};
  for (const e of listed) found[e.key.replace(/^\$\./, '')] = String(e.message ?? '');
  return { '': errorMessage(error), ...found };
}

const idOf = (name) => `f-${String(name).replace(/[^a-zA-Z0-9_-]/g, '-')}`;

/**
 * A labelled input, select or textarea with its error under it (aria-invalid, aria-describedby). `as` picks the
 * element; other props go to it. A select's options: [[value, label], …], with `blank` for an empty first one.
 */
export function Field({ label, name, error, hint, as = 'input', options, blank, value, onValue, ...props }) {
  const id = idOf(name);
  const described = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || null;
  const common = { id, name, 'aria-invalid': error ? 'true' : null, 'aria-describedby': described, ...props };
  const changed = (event) => onValue?.(event.currentTarget.type === 'checkbox' ? event.currentTarget.checked : event.currentTarget.value);
  let control;
  if (as === 'select') {
    control = html`<select ...${common} value=${value ?? ''} onChange=${changed}>
      ${blank !== undefined ? html`<option value="">${blank}</option>` : null}
      ${(options || []).map(([v, text]) => html`<option key=${v} value=${v}>${text}</option>`)}
    </select>`;
  } else if (as === 'textarea') {
    control = html`<textarea ...${common} value=${value ?? ''} onInput=${changed}></textarea>`;
  } else {
    control = html`<input ...${common} value=${value ?? ''} onInput=${changed} />`;
  }
  return html`
    <div class=${`field${error ? ' invalid' : ''}`}>
      <label for=${id}><span>${label}</span></label>
      ${control}
      ${hint ? html`<p class="field-hint" id=${`${id}-hint`}>${hint}</p>` : null}
      ${error ? html`<p class="field-error" id=${`${id}-error`}>${error}</p>` : null}
    </div>`;
}

/** The refusal's words that name no field, above the form (role=alert: read out when it appears). */
export function FormError({ errors }) {
  const general = errors?.[''];
  return general ? html`<p class="notice error" role="alert" data-form-error>${general}</p>` : null;
}

/** A progress bar with its words, e.g. an upload: fraction 0…1. */
export function Progress({ fraction, label }) {
  const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  return html`
    <div class="progress" role="status">
      <span>${label} ${percent} %</span>
      <progress max="100" value=${percent} aria-label=${label}></progress>
    </div>`;
}
