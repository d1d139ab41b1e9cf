// The app's frame: the top bar (name, network, language), the banners, and the screen for the state.
import { setMeta } from '../db.js';
import { LANGUAGES, language, setLanguage, t } from '../i18n.js';
import { getState, setState, subscribe } from '../store.js';
import { Banners } from './banners.js';
import { html, useEffect, useReducer, useRef } from './html.js';
import { Inspections } from './inspections.js';
import { Login } from './login.js';

/** Re-render the calling component on every state change; returns the state. */
export function useAppState() {
  const [, tick] = useReducer((n) => n + 1, 0);
  useEffect(() => {
    const unsubscribe = subscribe(tick);
    tick();  // a change between the first render and this effect
    return unsubscribe;
  }, []);
  return getState();
}

export async function switchLanguage() {
  const next = setLanguage(language() === 'en' ? 'zh' : 'en');
  setState({ lang: next });
  await setMeta('lang', next);
}

function TopBar({ state }) {
  const other = LANGUAGES[state.lang === 'en' ? 'zh' : 'en'];
  return html`
    <header class="topbar">
      <span class="brand">${t('app_name')}</span>
      <span class=${`net ${state.online ? 'on' : 'off'}`}>
        <span class="dot" aria-hidden="true"></span>${t(state.online ? 'online' : 'offline')}
      </span>
      <button type="button" class="lang" lang=${other.tag} title=${t('switch_language')} onClick=${switchLanguage}>
        ${other.name}
      </button>
    </header>`;
}

export function App() {
  const state = useAppState();
  const screen = state.user ? 'my_inspections' : 'login_title';
  const shown = useRef(screen);
  useEffect(() => { document.title = `${t(screen)} · ${t('app_name')}`; }, [screen, state.lang]);
  useEffect(() => {
    // A new screen: move the focus to it, so a screen reader starts there (not on the page's first load).
    if (shown.current !== screen) document.getElementById('main')?.focus();
    shown.current = screen;
  }, [screen]);
  if (state.fatal) {
    return html`<main id="main" class="screen"><p class="notice error" role="alert">${t(state.fatal)}</p></main>`;
  }
  return html`
    <${TopBar} state=${state} />
    <${Banners} state=${state} />
    ${state.user ? html`<${Inspections} state=${state} />` : html`<${Login} state=${state} />`}
    <div class="sr-only" aria-live="polite">${state.announce}</div>`;
}
