// The checklist of the inspection's template: pass / fail / not applicable for each item, a number for a
// "value" item (over its limit fails, as the server decides), a note and photos. A failed item counts in
// the tally at its severity.
import { errorMessage } from '../../api.js';
import { t } from '../../i18n.js';
import { answerOutcome } from '../../logic/grading.js';
import { saveFinding } from '../../records.js';
import { html, useRef, useState } from '../html.js';
import { AddPhoto, PhotoStrip, RecordIssue, local, useDirty } from './parts.js';

const RESULTS = ['pass', 'fail', 'na'];

function Item({ data, user, item, entry, frozen }) {
  const answer = entry?.record;
  const [value, setValue] = useState(answer?.value ?? '');
  const [note, setNote] = useState(answer?.note ?? '');
  const [error, setError] = useState(null);
  const key = useRef(entry?.key ?? crypto.randomUUID());  // one answer per item, however fast the taps
  const valueChanged = item.kind === 'value' && value !== (answer?.value ?? '');
  useDirty(`check-${item.key}`, valueChanged || note !== (answer?.note ?? ''));

  async function save(patch) {
    const result = patch.result ?? answer?.result;
    if (!result) return;
    const body = { id: key.current, item_key: item.key, result, note: (patch.note ?? note).trim(), photo_ids: patch.photo_ids ?? answer?.photo_ids ?? [] };
    if (item.kind === 'value' && result !== 'na') body.value = String(value).trim();
    // What the server will store: a value over its limit fails, whatever was tapped.
    const outcome = answerOutcome(body, data.template);
    if (outcome.error) { setError(outcome.field === 'value' ? t('value_invalid') : local(outcome, 'message')); return; }
    setError(null);
    try {
      await saveFinding(data, user, 'checklist_answer', entry, body, { result: outcome.result, severity: outcome.severity });
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  const id = `ci-${item.key}`;
  return html`
    <li class=${`citem ${answer?.result ?? ''}`} data-item=${item.key}>
      <fieldset class="segmented" disabled=${frozen}>
        <legend id=${id}>${local(item, 'label')}${item.limit != null ? html` <span class="muted">(≤ ${item.limit}${item.unit ?? ''})</span>` : null}</legend>
        ${item.kind === 'value' ? html`
          <label class="field inline"><span>${t('value')}</span>
            <input inputmode="decimal" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
          </label>` : null}
        ${RESULTS.map((r) => html`
          <label class=${`seg ${r} ${answer?.result === r ? 'on' : ''}`}>
            <input type="radio" name=${id} value=${r} checked=${answer?.result === r} onChange=${() => save({ result: r })} />
            ${t(`result.${r}`)}
          </label>`)}
      </fieldset>
      ${answer?.result === 'fail' ? html`<p class="verdict-word fail">${t('counts_as', { severity: t(`severity.${answer.severity || item.fail_severity}`) })}</p>` : null}
      ${answer && !frozen ? html`
        <details class="more" open=${Boolean(answer.note || answer.photo_ids?.length || valueChanged)}>
          <summary>${t('note_and_photos')}</summary>
          <label class="field"><span>${t('note')}</span>
            <textarea rows="2" value=${note} onInput=${(e) => setNote(e.currentTarget.value)}></textarea>
          </label>
          <div class="form-actions">
            <button type="button" class="btn secondary" disabled=${!valueChanged && note === (answer.note ?? '')} onClick=${() => save({})}>${t('save')}</button>
            <${AddPhoto} links=${{ inspectionId: data.id, userId: user.id, checklistItem: item.key }}
              onAdded=${(photo) => save({ photo_ids: [...(answer.photo_ids ?? []), photo] })} />
          </div>
        </details>` : null}
      <${PhotoStrip} ids=${answer?.photo_ids} />
      <${RecordIssue} entry=${entry} />
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
    </li>`;
}

export function ChecklistScreen({ data, user, frozen }) {
  const items = data.template?.items ?? [];
  if (!items.length) return html`<h1>${t('checklist_title')}</h1><p class="empty">${t('no_checklist')}</p>`;
  const byKey = Object.fromEntries(data.answers.map((e) => [e.record.item_key, e]));
  const done = items.filter((i) => byKey[i.key]).length;
  return html`
    <h1>${t('checklist_title')}</h1>
    <p class="progress-line" data-answered>${local(data.template, 'name')} · ${t('answered', { n: done, of: items.length })}</p>
    <ul class="checklist">${items.map((item) => html`<${Item} key=${item.key} data=${data} user=${user} item=${item}
      entry=${byKey[item.key]} frozen=${frozen} />`)}</ul>`;
}
