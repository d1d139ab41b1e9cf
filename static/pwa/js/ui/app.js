// The app's frame: the top bar (name, network, language), the banners, and the screen for the state and the
// address: #/ is My inspections, #/inspections/{id}/{tab} an inspection (its screens load on first use), #/orders
// the orders and #/orders/{id} an order (the office screens, for staff and factories, also loaded on first use).
import { setMeta } from '../db.js';
import { LANGUAGES, language, setLanguage, t } from '../i18n.js';
import { getState, setState, subscribe } from '../store.js';
import { Banners } from './banners.js';
import { html, useEffect, useReducer, useRef, useState } from './html.js';
import { Inspections } from './inspections.js';
import { Login } from './login.js';
import { seesOffice } from './office/nav.js';

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

const UUID = '[0-9a-fA-F-]{36}';
// The office screens' addresses, each to the name of its screen (ui/office/index.js SCREENS).
const OFFICE_ROUTES = [
  [/^orders$/, 'orders'],
  [/^orders\/new$/, 'order-new'],
  [new RegExp(`^orders/(${UUID})$`), 'order'],
  [new RegExp(`^orders/(${UUID})/edit$`), 'order-edit'],
  [new RegExp(`^orders/(${UUID})/packing-list$`), 'packing-list'],
  [new RegExp(`^orders/(${UUID})/spec-sheet$`), 'spec-sheet'],
  [new RegExp(`^orders/(${UUID})/book$`), 'book'],
  [new RegExp(`^orders/(${UUID})/inspections/(${UUID})$`), 'result'],
  [/^follow-ups$/, 'follow-ups'],
  [/^factories$/, 'factories'],
  [/^customers$/, 'customers'],
  [/^users$/, 'users'],
  [/^library$/, 'library'],
];

/** The route in a hash: {inspection, tab} for an inspection's screen; {office, ids, params} for an office
 * screen (ids: the UUIDs in the address, params: what follows a "?"); {} for My inspections. */
export function parseRoute(hash = location.hash) {
  const match = new RegExp(`^#/inspections/(${UUID})(?:/([a-z]+))?`).exec(hash);
  if (match) return { inspection: match[1], tab: match[2] || 'start' };
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  for (const [pattern, office] of OFFICE_ROUTES) {
    const found = pattern.exec(path.replace(/\/$/, ''));
    if (found) return { office, ids: found.slice(1), params: Object.fromEntries(new URLSearchParams(query)) };
  }
  return {};
}

function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return parseRoute(hash);
}

let inspectionModule = null;  // the inspection screens, imported on first use (not at start)

function InspectionRoute({ state, route }) {
  const [screen, setScreen] = useState(() => inspectionModule);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (screen) return;
    import('./inspection/index.js')
      .then((module) => { inspectionModule = module; setScreen(module); })
      .catch((error) => { console.error(error); setFailed(true); });
  }, []);
  if (failed) return html`<main id="main" tabindex="-1" class="screen"><p class="notice error" role="alert">${t('app_error')}</p></main>`;
  if (!screen) return html`<main id="main" tabindex="-1" class="screen"><p role="status">${t('loading')}</p></main>`;
  return html`<${screen.InspectionScreen} state=${state} id=${route.inspection} tab=${route.tab} />`;
}

let officeModule = null;  // the office screens, imported on first use

function OfficeRoute({ state, route }) {
  const [screen, setScreen] = useState(() => officeModule);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (screen) return;
    import('./office/index.js')
      .then((module) => { officeModule = module; setScreen(module); })
      .catch((error) => { console.error(error); setFailed(!navigator.onLine ? 'office.needs_network' : 'app_error'); });
  }, []);
  if (failed) return html`<main id="main" tabindex="-1" class="screen"><p class="notice error" role="alert">${t(failed)}</p></main>`;
  if (!screen) return html`<main id="main" tabindex="-1" class="screen"><p role="status">${t('loading')}</p></main>`;
  const Screen = screen.SCREENS[route.office];
  return html`<${Screen} state=${state} ids=${route.ids} params=${route.params} />`;
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
  const route = useRoute();
  const inInspection = Boolean(state.user && route.inspection);
  const inOffice = Boolean(route.office && seesOffice(state.user, route.office));
  const screen = !state.user ? 'login_title' : inInspection ? `${route.inspection}/${route.tab}`
    : inOffice ? `${route.office}/${route.ids.join('/')}` : 'my_inspections';
  const shown = useRef(screen);
  useEffect(() => {
    // An inspection's screens and the office screens name themselves.
    if (!inInspection && !inOffice) document.title = `${t(screen)} · ${t('app_name')}`;
  }, [screen, state.lang]);
  useEffect(() => {
    // A new screen: move the focus to it, so a screen reader starts there (not on the page's first load), and
    // show it from its top (the focus alone would scroll a long screen's header away).
    if (shown.current !== screen) {
      document.getElementById('main')?.focus({ preventScroll: true });
      scrollTo(0, 0);
    }
    shown.current = screen;
  }, [screen]);
  if (state.fatal) {
    return html`<main id="main" class="screen"><p class="notice error" role="alert">${t(state.fatal)}</p></main>`;
  }
  return html`
    <${TopBar} state=${state} />
    <${Banners} state=${state} />
    ${!state.user ? html`<${Login} state=${state} />`
      : inInspection ? html`<${InspectionRoute} state=${state} route=${route} />`
      : inOffice ? html`<${OfficeRoute} state=${state} route=${route} />` : html`<${Inspections} state=${state} />`}
    <div class="sr-only" aria-live="polite">${state.announce}</div>`;
}
