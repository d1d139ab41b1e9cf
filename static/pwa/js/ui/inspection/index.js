// An inspection on the phone, from "Start inspection" to "Submit inspection", offline: its data come from
// IndexedDB (js/records.js) and every save goes there first. A header names the order, a strip shows the
// live AQL result, and a tab bar at the bottom moves between the screens (#/inspections/{id}/{tab}).
import { onLocalChange } from '../../db.js';
import { t } from '../../i18n.js';
import { loadInspection } from '../../records.js';
import { html, useEffect, useReducer, useState } from '../html.js';
import { CartonsScreen } from './cartons.js';
import { ChecklistScreen } from './checklist.js';
import { DefectsScreen } from './defects.js';
import { FinishScreen } from './finish.js';
import { MeasureScreen } from './measure.js';
import { StartScreen } from './start.js';
import { RecordIssue } from './parts.js';
import { TallyStrip, tallyOf } from './tally.js';

const SCREENS = {
  start: StartScreen, cartons: CartonsScreen, defects: DefectsScreen, measure: MeasureScreen,
  checklist: ChecklistScreen, finish: FinishScreen,
};
const OPEN = new Set(['scheduled', 'in_progress']);

function useInspection(id, refresh) {
  const [data, setData] = useState(undefined);
  const [tick, bump] = useReducer((n) => n + 1, 0);
  useEffect(() => onLocalChange(bump), []);
  useEffect(() => {
    let current = true;
    loadInspection(id).then((loaded) => { if (current) setData(loaded); })
      .catch((error) => { console.error(error); if (current) setData(null); });
    return () => { current = false; };
  }, [id, tick, ...refresh]);
  return data;
}

function Tabs({ id, tabs, current, dupro }) {
  return html`
    <nav class="tabs" aria-label=${t('sections')}>
      ${tabs.map((tab) => html`
        <a href=${`#/inspections/${id}/${tab}`} aria-current=${tab === current ? 'page' : undefined}>
          <span aria-hidden="true" class="tab-icon">${ICONS[tab]}</span>${t(dupro && tab === 'start' ? 'tab.progress' : `tab.${tab}`)}
        </a>`)}
    </nav>`;
}
const ICONS = { start: '☰', cartons: '▦', defects: '⚠', measure: '↔', checklist: '☑', finish: '✍' };

export function InspectionScreen({ state, id, tab }) {
  const data = useInspection(id, [state.sync.syncedAt, state.sync.running, state.storage?.unsynced]);
  const inspection = data?.inspection;
  const started = Boolean(inspection && inspection.status !== 'scheduled');
  const tabs = data?.dupro ? ['start', 'defects', 'measure', 'checklist', 'finish']
    : ['start', 'cartons', 'defects', 'measure', 'checklist', 'finish'];
  const current = started && tabs.includes(tab) ? tab : 'start';
  useEffect(() => {
    const po = data?.order?.po_number;
    document.title = [t(current === 'start' && data?.dupro ? 'tab.progress' : `tab.${current}`), po, t('app_name')]
      .filter(Boolean).join(' · ');
  }, [current, data?.order?.po_number, state.lang]);

  if (data === undefined) return html`<main id="main" tabindex="-1" class="screen"><p role="status">${t('loading')}</p></main>`;
  if (data === null) {
    return html`
      <main id="main" tabindex="-1" class="screen">
        <h1>${t('not_on_phone_title')}</h1>
        <p class="notice warn">${t('not_on_phone')}</p>
        <a class="btn secondary block" href="#/">${t('back_to_list')}</a>
      </main>`;
  }
  const tally = tallyOf(data);
  const Screen = SCREENS[current];
  const frozen = !OPEN.has(inspection.status);
  const props = { data, user: state.user, state, tally, frozen, started };
  return html`
    <div class="ihead">
      <a class="back" href="#/"><span aria-hidden="true">‹ </span>${t('my_inspections')}</a>
      <p class="ihead-title">
        <span class="po">${data.order.po_number}</span>
        <span class="muted"> · ${t(`type.${inspection.type}`)}</span>
      </p>
      <span class=${`badge status-${inspection.status}`}>${t(`status.${inspection.status}`)}</span>
    </div>
    ${started && !data.dupro ? html`<${TallyStrip} tally=${tally} final=${frozen} />` : null}
    <main id="main" tabindex="-1" class=${`screen inspection ${started ? 'with-tabs' : 'with-actions'}`}
      data-screen=${`inspection-${current}`}>
      ${frozen && !(current === 'finish' && inspection.status !== 'aborted') ? html`<p class="notice">${t(inspection.status === 'aborted' ? 'frozen_aborted' : 'frozen_submitted')}</p>` : null}
      <${RecordIssue} entry=${data.head} />
      <${Screen} ...${props} />
    </main>
    ${started ? html`<${Tabs} id=${id} tabs=${tabs} current=${current} dupro=${data.dupro} />` : null}`;
}
