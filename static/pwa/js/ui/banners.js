// Messages above the screen: a new version of the app, and on an iPhone how to install it.
import { getMeta, setMeta } from '../db.js';
import { isWeChat } from '../platform.js';
import { setState } from '../store.js';
import { applyUpdate } from '../sw-client.js';
import { t } from '../i18n.js';
import { html } from './html.js';

function UpdateBanner({ state }) {
  const reload = () => { if (!applyUpdate(state.update)) setState({ updateBlocked: true }); };
  return html`
    <div class="banner update">
      <button type="button" class="btn update" onClick=${reload}>${t('update_ready')}</button>
      ${state.updateBlocked ? html`<p class="banner-note" role="alert">${t('update_wait')}</p>` : null}
    </div>`;
}

async function dismissIosHint() {
  setState({ iosHint: false });
  await setMeta('hints', { ...(await getMeta('hints')), ios_dismissed: new Date().toISOString() });
}

function IosHint() {
  return html`
    <aside class="banner hint" aria-labelledby="ios-title">
      <h2 id="ios-title">${t('ios_title')}</h2>
      <p>${t(isWeChat() ? 'ios_wechat' : 'ios_hint')}</p>
      <button type="button" class="btn secondary small" onClick=${dismissIosHint}>${t('dismiss')}</button>
    </aside>`;
}

export function Banners({ state }) {
  if (!state.update && !state.iosHint) return null;
  return html`
    <div class="banners">
      ${state.update ? html`<${UpdateBanner} state=${state} />` : null}
      ${state.iosHint ? html`<${IosHint} />` : null}
    </div>`;
}
