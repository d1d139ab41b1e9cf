// Users (#/users, admins only): find a user, create one, change a role or a name, deactivate and reactivate,
// and set a new password for someone who forgot theirs. Every edit names the version it was based on: when
// another admin changed the user meanwhile, the server answers 409 with the user as now, and the card shows
// that instead of overwriting it.
import '../../office-people-strings.js';
import { ApiError } from '../../api.js';
import { t, tn } from '../../i18n.js';
import { html, useEffect, useMemo, useRef, useState } from '../html.js';
import { Field, FormError, Loaded, OfficeScreen, dash, fieldErrors, get, send, useLoad } from './common.js';

const ROLES = ['admin', 'supervisor', 'merchandiser', 'inspector', 'factory'];
const PASSWORD_MIN = 8;  // the server's NewPassword
// No 0/O, 1/l/I: the admin reads the password out or writes it on paper.
const PASSWORD_LETTERS = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function suggestedPassword(length = 12) {
  const n = PASSWORD_LETTERS.length;
  const limit = 256 - (256 % n);  // bytes at or above it are dropped: every letter stays equally likely
  let password = '';
  while (password.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && password.length < length) password += PASSWORD_LETTERS[b % n];
    }
  }
  return password;
}

const roleOptions = () => ROLES.map((r) => [r, t(`role.${r}`)]);
const factoryOptions = (factories) => factories.map((f) => [f.id, `${f.code} · ${f.name}`]);

/** Moves the keyboard (and a screen reader) into a panel when it opens. */
function useFocusFirst() {
  const ref = useRef(null);
  useEffect(() => { ref.current?.querySelector('input, select, textarea, button')?.focus(); }, []);
  return ref;
}

/** A password the admin types or lets the app suggest; shown in clear, as it is to be handed over. */
function PasswordField({ value, onValue, error, label = t('people.password') }) {
  return html`
    <div class="people-password">
      <${Field} label=${label} name="password" value=${value} onValue=${onValue} error=${error}
        hint=${t('people.password_hint', { n: PASSWORD_MIN })} autocomplete="new-password" autocapitalize="off"
        spellcheck="false" maxlength="200" />
      <button type="button" class="btn secondary small" onClick=${() => onValue(suggestedPassword())}>
        ${t('people.suggest_password')}
      </button>
    </div>`;
}

const tooShort = (password) => (password.length < PASSWORD_MIN ? t('people.password_short', { n: PASSWORD_MIN }) : null);

/** A refusal's errors by field; a 409 on a versioned edit becomes the "changed meanwhile" notice. */
function refusal(error) {
  if (error instanceof ApiError && error.status === 409 && error.problem?.current) return { '': t('people.stale') };
  return fieldErrors(error);
}

function NewUser({ factories, onCreated, onCancel }) {
  const [form, setForm] = useState({ username: '', display_name: '', role: '', password: suggestedPassword(),
    company: '', factory_id: '' });
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const ref = useFocusFirst();
  const set = (key) => (value) => setForm({ ...form, [key]: value });

  async function save(event) {
    event.preventDefault();
    const mine = {};
    if (!form.username.trim()) mine.username = t('people.required');
    if (!form.role) mine.role = t('people.required');
    if (form.role === 'factory' && !form.factory_id) mine.factory_id = t('people.factory_needed');
    if (tooShort(form.password)) mine.password = tooShort(form.password);
    if (Object.keys(mine).length) { setErrors({ '': t('people.check_fields'), ...mine }); return; }
    const body = { username: form.username.trim(), password: form.password, role: form.role,
      display_name: form.display_name.trim() };
    if (form.role === 'inspector' && form.company.trim()) body.company = form.company.trim();
    if (form.role === 'factory' && form.factory_id) body.factory_id = form.factory_id;
    setBusy(true);
    setErrors({});
    try {
      onCreated(await send('POST', '/api/users', body), form.password);
    } catch (error) {
      // A taken username is a 409 that names no field: it belongs to the username.
      const taken = error instanceof ApiError && error.status === 409;
      setErrors(taken ? { username: fieldErrors(error)[''] } : fieldErrors(error));
    } finally {
      setBusy(false);
    }
  }

  return html`
    <form class="form people-form" ref=${ref} onSubmit=${save} aria-labelledby="new-user-title" novalidate>
      <h2 id="new-user-title">${t('people.new_user')}</h2>
      <${FormError} errors=${errors} />
      <${Field} label=${t('username')} name="username" value=${form.username} onValue=${set('username')}
        error=${errors.username} autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="80" required />
      <${Field} label=${t('people.display_name')} name="display_name" value=${form.display_name}
        onValue=${set('display_name')} error=${errors.display_name} hint=${t('people.display_name_hint')} maxlength="120" />
      <${Field} as="select" label=${t('people.role')} name="role" value=${form.role} onValue=${set('role')}
        error=${errors.role} blank=${t('people.choose_role')} options=${roleOptions()} required />
      ${form.role === 'inspector' ? html`
        <${Field} label=${t('people.company')} name="company" value=${form.company} onValue=${set('company')}
          error=${errors.company} hint=${t('people.company_hint')} maxlength="200" />` : null}
      ${form.role === 'factory' ? html`
        <${Field} as="select" label=${t('field_factory')} name="factory_id" value=${form.factory_id}
          onValue=${set('factory_id')} error=${errors.factory_id} blank=${t('people.choose_factory')}
          options=${factoryOptions(factories)} hint=${t('people.factory_hint')} />` : null}
      <${PasswordField} value=${form.password} onValue=${set('password')} error=${errors.password}
        label=${t('people.first_password')} />
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('cancel')}</button>
        <button type="submit" class="btn primary" disabled=${busy}>${busy ? t('people.saving') : t('people.create')}</button>
      </div>
    </form>`;
}

/** The user's name, role and firm; `self`: the admin's own account keeps its role (no locking oneself out). */
function EditUser({ user, factories, self, onSaved, onCancel }) {
  const from = (u) => ({ display_name: u.display_name, role: u.role, company: u.company ?? '', factory_id: u.factory_id ?? '' });
  const [form, setForm] = useState(() => from(user));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const ref = useFocusFirst();
  const set = (key) => (value) => setForm({ ...form, [key]: value });

  async function save(event) {
    event.preventDefault();
    if (form.role === 'factory' && !form.factory_id) { setErrors({ factory_id: t('people.factory_needed') }); return; }
    const body = { version: user.version, display_name: form.display_name.trim() };
    if (!self) body.role = form.role;
    if (form.role === 'inspector') body.company = form.company.trim();
    if (form.role === 'factory' && form.factory_id) body.factory_id = form.factory_id;
    setBusy(true);
    setErrors({});
    try {
      onSaved(await send('PATCH', `/api/users/${user.id}`, body), ['people.saved', { name: user.username }]);
    } catch (error) {
      setErrors(refusal(error));
      const current = error instanceof ApiError && error.status === 409 ? error.problem?.current : null;
      if (current) { setForm(from(current)); onSaved(current, null, true); }
    } finally {
      setBusy(false);
    }
  }

  return html`
    <form class="form compact people-form" ref=${ref} onSubmit=${save} aria-label=${t('people.edit_title', { name: user.username })} novalidate>
      <${FormError} errors=${errors} />
      <${Field} label=${t('people.display_name')} name="display_name" value=${form.display_name}
        onValue=${set('display_name')} error=${errors.display_name} maxlength="120" />
      ${self ? html`<p class="muted">${t('people.own_role')}</p>` : html`
        <${Field} as="select" label=${t('people.role')} name="role" value=${form.role} onValue=${set('role')}
          error=${errors.role} options=${roleOptions()} />`}
      ${form.role === 'inspector' ? html`
        <${Field} label=${t('people.company')} name="company" value=${form.company} onValue=${set('company')}
          error=${errors.company} hint=${t('people.company_hint')} maxlength="200" />` : null}
      ${form.role === 'factory' ? html`
        <${Field} as="select" label=${t('field_factory')} name="factory_id" value=${form.factory_id}
          onValue=${set('factory_id')} error=${errors.factory_id} blank=${t('people.choose_factory')}
          options=${factoryOptions(factories)} />` : null}
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('cancel')}</button>
        <button type="submit" class="btn primary" disabled=${busy}>${busy ? t('people.saving') : t('people.save')}</button>
      </div>
    </form>`;
}

/** A new password typed (or suggested) by the admin: the user's sessions end and their login blocks lift. */
function ResetPassword({ user, onDone, onCancel }) {
  const [password, setPassword] = useState(suggestedPassword);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const ref = useFocusFirst();

  async function save(event) {
    event.preventDefault();
    if (tooShort(password)) { setErrors({ password: tooShort(password) }); return; }
    setBusy(true);
    setErrors({});
    try {
      await send('POST', `/api/users/${user.id}/password`, { password });
      onDone(['people.password_set', { name: user.username, password }]);
    } catch (error) {
      setErrors(fieldErrors(error));
    } finally {
      setBusy(false);
    }
  }

  return html`
    <form class="form compact people-form" ref=${ref} onSubmit=${save} aria-label=${t('people.reset_title', { name: user.username })} novalidate>
      <p>${t('people.reset_explain')}</p>
      <${FormError} errors=${errors} />
      <${PasswordField} value=${password} onValue=${setPassword} error=${errors.password} label=${t('people.new_password')} />
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('cancel')}</button>
        <button type="submit" class="btn primary" disabled=${busy}>${busy ? t('people.saving') : t('people.set_password')}</button>
      </div>
    </form>`;
}

/** Deactivating ends the user's sessions at once: asked once more, in words that say so. */
function SetActive({ user, active, onSaved, onCancel }) {
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const ref = useFocusFirst();

  async function save() {
    setBusy(true);
    setErrors({});
    try {
      const saved = await send('PATCH', `/api/users/${user.id}`, { version: user.version, active });
      onSaved(saved, [active ? 'people.reactivated' : 'people.deactivated', { name: user.username }]);
    } catch (error) {
      setErrors(refusal(error));
      const current = error instanceof ApiError && error.status === 409 ? error.problem?.current : null;
      if (current) onSaved(current, null, true);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <div class="form compact people-form" ref=${ref} role="group" aria-label=${t(active ? 'people.reactivate' : 'people.deactivate')}>
      <p>${t(active ? 'people.reactivate_explain' : 'people.deactivate_explain', { name: user.display_name || user.username })}</p>
      <${FormError} errors=${errors} />
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('cancel')}</button>
        <button type="button" class=${`btn ${active ? 'primary' : 'danger'}`} disabled=${busy} onClick=${save}>
          ${t(active ? 'people.reactivate_confirm' : 'people.deactivate_confirm')}
        </button>
      </div>
    </div>`;
}

function UserCard({ user, factory, factories, self, open, setOpen, onSaved, onNotice }) {
  const mode = open?.id === user.id ? open.mode : null;
  const close = () => setOpen(null);
  // A stale edit keeps its panel open on the user as now; a saved one closes it.
  const saved = (next, message, stale = false) => { onSaved(next); if (!stale) { close(); onNotice(message); } };
  const firm = user.role === 'factory' ? (factory ? `${factory.code} · ${factory.name}` : null) : user.company;
  const toggle = (m) => setOpen(mode === m ? null : { id: user.id, mode: m });
  return html`
    <li>
      <article class=${`card user-card${user.active ? '' : ' inactive'}`} aria-labelledby=${`user-${user.id}`} data-user=${user.username}>
        <div class="card-head">
          <h3 id=${`user-${user.id}`}>${user.display_name || user.username}</h3>
          <span class=${`badge ${user.active ? 'ready' : 'attention'}`} data-active=${String(user.active)}>
            ${t(user.active ? 'people.active' : 'people.inactive')}
          </span>
        </div>
        <dl class="fields">
          <div><dt>${t('username')}</dt><dd class="username">${user.username}</dd></div>
          <div><dt>${t('people.role')}</dt><dd data-role>${t(`role.${user.role}`)}</dd></div>
          ${firm || user.role === 'inspector' || user.role === 'factory' ? html`
            <div class="wide"><dt>${user.role === 'factory' ? t('field_factory') : t('people.company')}</dt><dd>${dash(firm)}</dd></div>` : null}
          ${self ? html`<div class="wide"><dt>${t('people.account')}</dt><dd>${t('people.you')}</dd></div>` : null}
        </dl>
        <p class="office-actions">
          <button type="button" class="btn secondary small" aria-expanded=${String(mode === 'edit')} onClick=${() => toggle('edit')}>
            ${t('people.edit')}</button>
          <button type="button" class="btn secondary small" aria-expanded=${String(mode === 'password')} onClick=${() => toggle('password')}>
            ${t('people.reset_password')}</button>
          ${self ? null : html`
            <button type="button" class="btn secondary small" aria-expanded=${String(mode === 'active')} onClick=${() => toggle('active')}>
              ${t(user.active ? 'people.deactivate' : 'people.reactivate')}</button>`}
        </p>
        ${mode === 'edit' ? html`<${EditUser} user=${user} factories=${factories} self=${self} onSaved=${saved} onCancel=${close} />` : null}
        ${mode === 'password' ? html`<${ResetPassword} user=${user} onDone=${(message) => { close(); onNotice(message, true); }} onCancel=${close} />` : null}
        ${mode === 'active' ? html`<${SetActive} user=${user} active=${!user.active} onSaved=${saved} onCancel=${close} />` : null}
      </article>
    </li>`;
}

const STATUSES = [['active', 'people.active'], ['inactive', 'people.inactive']];

function Users({ data, load, state }) {
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const [status, setStatus] = useState('');
  const [open, setOpen] = useState(null);  // {id, mode}: one panel at a time, so field names stay unique
  const [notice, setNotice] = useState(null);
  const factoryById = useMemo(() => new Map(data.factories.map((f) => [f.id, f])), [data.factories]);

  const replace = (user) => load.setData((d) => ({ ...d,
    users: d.users.some((u) => u.id === user.id) ? d.users.map((u) => (u.id === user.id ? user : u)) : [...d.users, user] }));
  // notice: [key, params], worded when shown (the language may change meanwhile). A password reset raises the
  // user's version: the list is read again so that the next edit is based on it.
  const announce = (message, reload = false) => { if (message) setNotice(message); if (reload) load.reload(); };

  const needle = q.trim().toLowerCase();
  const shown = data.users.filter((u) => (!role || u.role === role)
    && (!status || (status === 'active') === u.active)
    && (!needle || [u.username, u.display_name, u.company, factoryById.get(u.factory_id)?.name]
      .some((v) => v && v.toLowerCase().includes(needle))));

  return html`
    ${notice ? html`<p class="notice ok" role="status" data-notice>${t(...notice)}</p>` : null}
    <p class="office-actions">
      <button type="button" class="btn primary" aria-expanded=${String(open?.id === 'new')}
        onClick=${() => { setNotice(null); setOpen(open?.id === 'new' ? null : { id: 'new' }); }}>${t('people.new_user')}</button>
    </p>
    ${open?.id === 'new' ? html`
      <${NewUser} factories=${data.factories} onCancel=${() => setOpen(null)}
        onCreated=${(user, password) => { replace(user); setOpen(null); setNotice(['people.created', { name: user.username, password }]); }} />` : null}
    <form class="people-filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      <label class="field grow">
        <span>${t('people.search')}</span>
        <input type="search" name="q" value=${q} maxlength="100" onInput=${(e) => setQ(e.currentTarget.value)} />
      </label>
      <${Field} as="select" label=${t('people.role')} name="role_filter" value=${role} onValue=${setRole}
        blank=${t('office.any')} options=${roleOptions()} />
      <${Field} as="select" label=${t('people.status')} name="status_filter" value=${status} onValue=${setStatus}
        blank=${t('office.any')} options=${STATUSES.map(([v, key]) => [v, t(key)])} />
    </form>
    <p class="orders-count" role="status">${tn('people.count', shown.length)}</p>
    ${shown.length ? null : html`<p class="empty">${t('people.none')}</p>`}
    <ul class="cards people-cards">
      ${shown.map((user) => html`
        <${UserCard} key=${user.id} user=${user} factory=${factoryById.get(user.factory_id)} factories=${data.factories}
          self=${user.id === state.user.id} open=${open} setOpen=${(o) => { setNotice(null); setOpen(o); }}
          onSaved=${replace} onNotice=${announce} />`)}
    </ul>`;
}

export function UsersScreen({ state }) {
  const load = useLoad(state, async () => {
    const [users, factories] = await Promise.all([get('/api/users'), get('/api/factories')]);
    return { users, factories };
  });
  return html`
    <${OfficeScreen} state=${state} name="users" title=${t('office.nav_users')} section="users">
      <${Loaded} load=${load}>${(data) => html`<${Users} data=${data} load=${load} state=${state} />`}<//>
    <//>`;
}
