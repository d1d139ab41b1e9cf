// The login screen. Typed input makes the form "dirty": an app update waits until it is submitted or
// cleared.
import { errorMessage } from '../api.js';
import { setDirty } from '../dirty.js';
import { t } from '../i18n.js';
import { logIn } from '../session.js';
import { html, useEffect, useRef, useState } from './html.js';

export function Login({ state }) {
  const initial = useRef(state.lastUsername || '');
  const [username, setUsername] = useState(initial.current);
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  useEffect(() => setDirty('login', username !== initial.current || password !== ''), [username, password]);
  useEffect(() => () => setDirty('login', false), []);

  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    if (!username.trim() || !password) { setError(t('login_missing')); return; }
    setBusy(true);
    setError(null);
    try {
      await logIn(username.trim(), password);  // the app then shows My inspections
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  }

  return html`
    <main id="main" tabindex="-1" class="screen login" data-screen="login">
      <div class="brandblock">
        <img src="/app/icons/icon-192.png" alt="" width="56" height="56" />
        <p class="tagline">${t('app_tagline')}</p>
      </div>
      <form class="form" onSubmit=${submit} novalidate>
        <h1>${t('login_title')}</h1>
        ${state.sessionEnded ? html`<p class="notice warn" role="alert">${t('session_ended')}</p>` : null}
        ${state.online ? null : html`<p class="notice warn">${t('login_offline')}</p>`}
        <label class="field">
          <span>${t('username')}</span>
          <input name="username" autocomplete="username" autocapitalize="none" autocorrect="off" spellcheck="false"
            enterkeyhint="next" value=${username} onInput=${(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>${t('password')}</span>
          <input name="password" type=${showPassword ? 'text' : 'password'} autocomplete="current-password"
            enterkeyhint="go" value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked=${showPassword} onChange=${(e) => setShowPassword(e.currentTarget.checked)} />
          <span>${t('show_password')}</span>
        </label>
        ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
        ${busy ? html`<p class="notice" role="status">${t('logging_in')}</p>` : null}
        <button type="submit" class="btn primary block" aria-busy=${busy ? 'true' : 'false'}>${t('login_button')}</button>
      </form>
    </main>`;
}
