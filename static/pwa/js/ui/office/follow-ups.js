// Follow-ups (整改), #/follow-ups: the defects an in-process inspection asked the factory to fix, across orders or
// of one order (?order_id=…), overdue first; and closing one with what was done and photos of the fix. Staff and
// factories see it; the server decides which follow-ups each may see (a factory: its own) and who may close one
// (the owner, and whoever may record the inspection), and its refusal is shown as it says it.
import '../../office-follow-ups-strings.js';
import { ApiError, errorMessage, upload } from '../../api.js';
import { formatDateTime, t, tn } from '../../i18n.js';
import { preparePhoto } from '../../photos.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { Field, Loaded, OfficeScreen, Progress, date, get, send, useLoad, zh } from './common.js';

const STAFF = new Set(['admin', 'supervisor', 'merchandiser']);

/** Today as the server's dates write it (YYYY-MM-DD), in the user's own time zone. */
function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}
const overdue = (f) => !f.closed_at && Boolean(f.follow_up_due) && f.follow_up_due < today();

/** Open ones: overdue first, then the soonest due, those without a date last. Closed ones: the last closed first. */
export function ordered(items, closed) {
  const list = [...items];
  if (closed) return list.sort((a, b) => (b.closed_at || '').localeCompare(a.closed_at || ''));
  const rank = (f) => (overdue(f) ? 0 : f.follow_up_due ? 1 : 2);
  return list.sort((a, b) => rank(a) - rank(b) || (a.follow_up_due || '').localeCompare(b.follow_up_due || ''));
}

/** The list and what names its ids: the defect library, the people (staff only) and the orders' POs. */
async function loadFollowUps(user, filters) {
  const query = new URLSearchParams();
  if (filters.closed) query.set('closed', 'true');
  if (filters.orderId) query.set('order_id', filters.orderId);
  if (filters.mine) query.set('owner_id', user.id);
  const [items, codes, people] = await Promise.all([
    get(`/api/follow-ups?${query}`),
    get('/api/defect-codes').catch(() => []),  // names are a help: the codes alone still say what it is
    STAFF.has(user.role) ? get('/api/people').catch(() => []) : [],  // factories may not read the directory
  ]);
  // Each follow-up names its order's PO; the order of the filter is asked for only when none of its are listed.
  const orders = new Map(items.map((f) => [f.order_id, { id: f.order_id, po_number: f.po_number }]));
  if (filters.orderId && !orders.has(filters.orderId)) {
    const order = await get(`/api/orders/${encodeURIComponent(filters.orderId)}`).catch(() => null);
    if (order) orders.set(order.id, order);
  }
  return {
    items: ordered(items, filters.closed),
    codes: new Map(codes.map((c) => [c.code, c])),
    people: new Map(people.map((p) => [p.id, p.display_name])),
    orders,
  };
}

export function FollowUpsScreen({ state, params = {} }) {
  const orderId = params.order_id || '';
  const [closed, setClosed] = useState(false);
  const [mine, setMine] = useState(false);
  const [done, setDone] = useState('');  // what the last close said, shown above the list
  const load = useLoad(state, () => loadFollowUps(state.user, { closed, mine, orderId }), [closed, mine, orderId]);
  const order = orderId ? load.data?.orders.get(orderId) : null;
  const show = (value) => { setDone(''); setClosed(value); };
  return html`
    <${OfficeScreen} state=${state} name="follow-ups" title=${t('follow.title')} section="follow-ups">
      <div class="follow-filters">
        <div class="switcher" role="group" aria-label=${t('follow.show')}>
          ${[[false, 'follow.open'], [true, 'follow.closed']].map(([value, label]) => html`
            <button type="button" class="btn small" aria-pressed=${String(closed === value)} onClick=${() => show(value)}>
              ${t(label)}</button>`)}
        </div>
        <label class="check">
          <input type="checkbox" name="mine" checked=${mine} onChange=${(e) => setMine(e.currentTarget.checked)} />
          <span>${t('follow.mine')}</span>
        </label>
      </div>
      ${orderId ? html`
        <p class="notice follow-order" data-order-filter>
          <span>${t('follow.of_order', { po: order?.po_number ?? '…' })}</span>
          <a class="order-link" href="#/follow-ups">${t('follow.all_orders')}</a>
        </p>` : null}
      ${done ? html`<p class="notice ok" role="status" data-closed-ok>${done}</p>` : null}
      <${Loaded} load=${load}>${(data) => html`
        <p class="orders-count" role="status">${tn('follow.count', data.items.length)}</p>
        ${!data.items.length ? html`<p class="empty">${t(closed ? 'follow.none_closed' : 'follow.none_open')}</p>` : html`
          <ul class="cards">${data.items.map((f) => html`
            <li key=${f.id}><${FollowUp} item=${f} data=${data} user=${state.user}
              onClosed=${(message) => { setDone(message); load.reload(); }} /></li>`)}
          </ul>`}`}<//>
    <//>`;
}

function ownerName(f, data, user) {
  if (!f.follow_up_owner_id) return t('follow.nobody');
  if (f.follow_up_owner_id === user.id) return t('follow.you');
  return data.people.get(f.follow_up_owner_id) || t('follow.someone');
}

function FollowUp({ item: f, data, user, onClosed }) {
  const [closing, setClosing] = useState(false);
  const code = data.codes.get(f.code);
  const name = code ? (zh() ? code.name_zh || code.name_en : code.name_en) : '';
  const order = data.orders.get(f.order_id);
  const late = overdue(f);
  // A factory closes only what it owns; staff may try, and the server says if they may not.
  const mayClose = !f.closed_at && (user.role !== 'factory' || f.follow_up_owner_id === user.id);
  const titleId = `follow-${f.id}`;
  return html`
    <article class=${`card follow-card${late ? ' is-overdue' : ''}${f.closed_at ? ' is-closed' : ''}`} aria-labelledby=${titleId}
      data-follow-up=${f.id}>
      <div class="card-head">
        <h3 id=${titleId} class="small-title">${f.code}${name ? ` · ${name}` : ''}</h3>
        ${late ? html`<strong class="tag overdue" data-overdue>${t('follow.overdue')}</strong>` : null}
      </div>
      <dl class="fields">
        <div><dt>${t('follow.severity')}</dt><dd>${t(`severity.${f.severity}`)}</dd></div>
        <div><dt>${t('follow.count')}</dt><dd>${f.count}</dd></div>
        <div><dt>${t('follow.order')}</dt><dd>${order
          ? html`<a class="order-link" href=${`#/orders/${f.order_id}`}>${order.po_number}</a>` : '—'}</dd></div>
        <div><dt>${t('follow.due')}</dt><dd data-due>${f.follow_up_due ? date(f.follow_up_due) : t('follow.no_due')}</dd></div>
        <div class="wide"><dt>${t('follow.owner')}</dt><dd data-owner>${ownerName(f, data, user)}</dd></div>
        <div class="wide"><dt>${t('follow.found')}</dt><dd>${t(`type.${f.inspection_type}`)}</dd></div>
        ${f.location ? html`<div class="wide"><dt>${t('follow.where')}</dt><dd>${f.location}</dd></div>` : null}
        ${f.note ? html`<div class="wide"><dt>${t('follow.note')}</dt><dd>${f.note}</dd></div>` : null}
        ${f.closed_at ? html`
          <div class="wide"><dt>${t('follow.closed_at')}</dt><dd data-closed-at>${formatDateTime(f.closed_at)}</dd></div>
          <div class="wide"><dt>${t('follow.closing_note')}</dt><dd data-closing-note>${f.closed_note}</dd></div>` : null}
      </dl>
      ${f.closed_at && f.closed_photo_ids.length ? html`
        <section class="follow-photos" aria-label=${t('follow.closing_photos')}>
          <h4 class="small-title">${t('follow.closing_photos')}</h4>
          <ul class="thumbs">${f.closed_photo_ids.map((id, i) => html`<li key=${id}><${Thumb} id=${id} n=${i + 1} /></li>`)}</ul>
        </section>` : null}
      ${mayClose && !closing ? html`
        <p class="office-actions">
          <button type="button" class="btn secondary small" onClick=${() => setClosing(true)}>${t('follow.close')}</button>
        </p>` : null}
      ${closing ? html`<${CloseForm} item=${f} label=${`${f.code}${name ? ` · ${name}` : ''}`}
        onCancel=${() => setClosing(false)} onClosed=${onClosed} />` : null}
    </article>`;
}

function Thumb({ id, n }) {
  const [missing, setMissing] = useState(false);
  if (missing) return html`<span class="muted">${t('follow.photo_missing', { n })}</span>`;
  return html`
    <a href=${`/media/photos/${id}/display`} target="_blank" rel="noopener">
      <img src=${`/media/photos/${id}/thumb`} alt=${t('follow.photo_alt', { n })} width="96" height="96" loading="lazy"
        onError=${() => setMissing(true)} data-photo=${id} />
    </a>`;
}

/**
 * Closing: the note and the photos, sent as the server takes them. The close names the photos' ids first, as the
 * phone does, because a submitted inspection takes only photos its records already name; then each photo is
 * uploaded with its progress. A photo that fails can be sent again: the close is kept.
 */
function CloseForm({ item, label, onCancel, onClosed }) {
  const [note, setNote] = useState('');
  const [photos, setPhotos] = useState([]);  // {id, blob, url, progress, error, done}
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [closedAlready, setClosedAlready] = useState(false);
  const [preparing, setPreparing] = useState(0);
  const urls = useRef([]);
  useEffect(() => () => urls.current.forEach((u) => URL.revokeObjectURL(u)), []);

  const patch = (id, change) => setPhotos((list) => list.map((p) => (p.id === id ? { ...p, ...change } : p)));

  async function add(event) {
    const files = [...event.currentTarget.files];
    event.currentTarget.value = '';
    for (const file of files) {
      setPreparing((n) => n + 1);
      try {
        const prepared = await preparePhoto(file);
        const url = URL.createObjectURL(prepared.thumb || prepared.blob);
        urls.current.push(url);
        setPhotos((list) => [...list, { id: crypto.randomUUID(), blob: prepared.blob, url, progress: 0, error: null, done: false }]);
        setErrors((e) => ({ ...e, photos: '' }));
      } catch {
        setErrors((e) => ({ ...e, photos: t('follow.photo_unreadable') }));
      } finally {
        setPreparing((n) => n - 1);
      }
    }
  }

  async function sendPhoto(photo) {
    patch(photo.id, { error: null, progress: 0 });
    const query = new URLSearchParams({ inspection_id: item.inspection_id, defect_id: item.id });
    try {
      await upload(`/api/photos/${photo.id}?${query}`, { method: 'PUT', body: photo.blob,
        onProgress: (fraction) => patch(photo.id, { progress: fraction }) });
      patch(photo.id, { done: true, progress: 1 });
      return true;
    } catch (error) {
      patch(photo.id, { error: errorMessage(error) });
      return false;
    }
  }

  async function uploadAll(list) {
    let ok = true;
    for (const photo of list) if (!photo.done) ok = (await sendPhoto(photo)) && ok;
    return ok;
  }

  async function submit(event) {
    event.preventDefault();
    if (closedAlready) {  // only photos are left to send
      setBusy(true);
      if (await uploadAll(photos)) onClosed(t('follow.closed_ok', { code: item.code }));
      setBusy(false);
      return;
    }
    if (!note.trim()) { setErrors({ note: t('follow.note_needed') }); return; }
    setBusy(true);
    setErrors({});
    try {
      await send('POST', `/api/inspections/${item.inspection_id}/defects/${item.id}/close`,
        { note: note.trim(), photo_ids: photos.map((p) => p.id) });
    } catch (error) {
      const field = error instanceof ApiError ? error.problem.field : null;
      setErrors(field === 'note' || field === 'photo_ids' ? { [field === 'note' ? 'note' : 'photos']: errorMessage(error) }
        : { '': errorMessage(error) });
      setBusy(false);
      return;
    }
    setClosedAlready(true);
    const ok = await uploadAll(photos);
    setBusy(false);
    if (ok) onClosed(t('follow.closed_ok', { code: item.code }));
  }

  const failed = photos.some((p) => p.error);
  return html`
    <form class="follow-close" onSubmit=${submit} novalidate aria-label=${t('follow.close_title', { code: label })}>
      <h4 class="small-title">${t('follow.close_title', { code: label })}</h4>
      <${Field} as="textarea" label=${t('follow.note_label')} name="note" value=${note} hint=${t('follow.note_hint')}
        error=${errors.note} rows="3" maxlength="4000" required disabled=${closedAlready}
        onValue=${(value) => { setNote(value); if (errors.note) setErrors({ ...errors, note: '' }); }} />
      <div class="office-actions photo-pickers">
        <label class="btn secondary">${t('follow.take_photo')}
          <input class="overlay" type="file" accept="image/*" capture="environment" name="take_photo"
            disabled=${closedAlready} onChange=${add} />
        </label>
        <label class="btn secondary">${t('follow.pick_photo')}
          <input class="overlay" type="file" accept="image/*" multiple name="photos" disabled=${closedAlready} onChange=${add} />
        </label>
      </div>
      ${preparing ? html`<p role="status">${t('follow.preparing')}</p>` : null}
      ${errors.photos ? html`<p class="field-error" role="alert">${errors.photos}</p>` : null}
      ${photos.length ? html`
        <ul class="close-photos">${photos.map((p, i) => html`
          <li key=${p.id} data-photo-item>
            <img src=${p.url} alt=${t('follow.photo_n', { n: i + 1 })} width="72" height="72" />
            <div class="close-photo-state">
              ${p.done ? html`<span class="ok-text">${t('follow.uploaded', { n: i + 1 })}</span>`
                : busy || p.progress > 0 ? html`
                  <${Progress} fraction=${p.progress} label=${t('follow.uploading', { n: i + 1 })} />` : null}
              ${p.error ? html`
                <p class="field-error" role="alert">${t('follow.upload_failed', { n: i + 1, message: p.error })}</p>` : null}
              ${!closedAlready ? html`
                <button type="button" class="btn secondary small" aria-label=${t('follow.remove_photo_label', { n: i + 1 })}
                  onClick=${() => setPhotos((list) => list.filter((x) => x.id !== p.id))}>${t('follow.remove_photo')}</button>` : null}
            </div>
          </li>`)}
        </ul>` : null}
      ${errors[''] ? html`<p class="notice error" role="alert" data-form-error>${errors['']}</p>` : null}
      ${closedAlready && failed ? html`<p class="notice warn" role="alert">${t('follow.closed_photos_left')}</p>` : null}
      <div class="office-actions">
        <button type="submit" class="btn primary" disabled=${busy || preparing > 0}>
          ${busy ? t('follow.closing') : closedAlready ? t('follow.retry_upload') : t('follow.submit')}</button>
        ${!closedAlready ? html`
          <button type="button" class="btn secondary" disabled=${busy} onClick=${onCancel}>${t('follow.cancel')}</button>` : null}
      </div>
    </form>`;
}
