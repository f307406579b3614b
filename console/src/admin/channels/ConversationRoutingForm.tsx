// A page's Conversation Routing (Meta's thread control): whether
// Switchboard owns new threads or another app does, and which app gets a
// closed conversation's thread back. Saved on its own, saying so.
import { useState, type FormEvent } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from '../form/ErrorLine';
import { Field } from '../form/Field';
import { errorFor, formProblem } from '../form/formProblem';
import { SubmitButton } from '../form/SubmitButton';
import { useFormValues } from '../form/useFormValues';
import type { Page } from './useChannels';

type Mode = AdminSchemas['ConversationRouting']['mode'];

export function ConversationRoutingForm({ api, page, onSaved }: { api: Api; page: Page; onSaved: () => void }) {
  const { t } = useI18n();
  const current = page.conversation_routing;
  const { v, set, problem, setProblem, busy, setBusy } = useFormValues({
    mode: current.mode as string,
    hand_back_to: current.hand_back_to ?? '',
  });
  const [said, setSaid] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaid('');
    const app = v.hand_back_to.trim();
    if (app !== '' && !/^[0-9]{1,32}$/.test(app)) {
      return setProblem({ field: 'hand_back_to', detail: t('channels.digits', { what: t('channels.handBackTo') }), code: 'invalid_hand_back_to' });
    }
    setBusy(true);
    const body = { mode: v.mode as Mode, ...(app ? { hand_back_to: app } : {}) };
    const r = await api.admin
      .PUT('/admin/v1/accounts/{account_id}/pages/{page_id}/conversation-routing', {
        params: { path: { account_id: page.account_id, page_id: page.page_id } },
        body,
      })
      .catch((error: unknown) => ({ data: undefined, error }));
    setBusy(false);
    if (!r.data) return setProblem(formProblem(r.error, ['mode', 'hand_back_to'], t('channels.notSaved')));
    setProblem(null);
    setSaid(t('admin.saved'));
    onSaved();
  };
  return (
    <form className="conversation-routing" onSubmit={(e) => void submit(e)} noValidate>
      <fieldset>
        <legend>{t('channels.routing')}</legend>
        <Field label={t('channels.routingMode')} hint={t(v.mode === 'standby' ? 'channels.modeStandbyHint' : 'channels.modeOwnerHint')} error={errorFor(problem, 'mode')}>
          {(c) => (
            <select {...c} value={v.mode} onChange={set('mode')}>
              <option value="owner">{t('channels.modeOwner')}</option>
              <option value="standby">{t('channels.modeStandby')}</option>
            </select>
          )}
        </Field>
        <Field label={t('channels.handBackTo')} hint={t('channels.handBackToHint')} error={errorFor(problem, 'hand_back_to')}>
          {(c) => <input {...c} value={v.hand_back_to} onChange={set('hand_back_to')} inputMode="numeric" autoComplete="off" />}
        </Field>
        <ErrorLine>{problem && problem.field === null && t('admin.formError', { detail: problem.detail })}</ErrorLine>
        <div className="form-actions">
          <SubmitButton busy={busy} label={t('channels.saveRouting')} busyLabel={t('admin.saving')} />
          <span role="status" className="saved">
            {said}
          </span>
        </div>
      </fieldset>
    </form>
  );
}
