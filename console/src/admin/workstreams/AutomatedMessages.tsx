// Section 6 of the workstream editor: automated messages per trigger and
// locale, each with a live preview that fills in the placeholders as the
// server will (sample agent and queue).
import { useI18n } from '../../i18n/i18n';
import type { MessageKey } from '../../i18n/dictionary';
import { Field } from '../form/Field';
import { TRIGGERS, messageKey, type MessageDraft, type Trigger } from './draft';
import { fillAutomated, unknownAutomatedPlaceholders, type AutomatedSample } from './placeholders';

interface Props {
  messages: MessageDraft[];
  onChange: (messages: MessageDraft[]) => void;
  sample: AutomatedSample;
  /** The API's problem with the messages, if any. */
  error: string | null;
  defaultLocale: string;
}

export function AutomatedMessages({ messages, onChange, sample, error, defaultLocale }: Props) {
  const { t } = useI18n();
  const update = (key: number, patch: Partial<MessageDraft>) => onChange(messages.map((m) => (m.key === key ? { ...m, ...patch } : m)));
  return (
    <section className="admin-section" aria-labelledby="ws-s-messages">
      <h2 id="ws-s-messages">{t('ws.s.messages')}</h2>
      <p className="help">{t('ws.messagesHint')}</p>
      {messages.length === 0 && <p>{t('ws.noMessages')}</p>}
      <ol className="ws-messages">
        {messages.map((m, i) => {
          const n = i + 1;
          const unknown = unknownAutomatedPlaceholders(m.text);
          return (
            <li key={m.key} className="ws-message">
              <fieldset>
                <legend>{t('ws.message', { n })}</legend>
                <Field label={t('ws.trigger')} error={null}>
                  {(c) => (
                    <select {...c} value={m.trigger} onChange={(e) => update(m.key, { trigger: e.target.value as Trigger })}>
                      {TRIGGERS.map((tr) => (
                        <option key={tr} value={tr}>
                          {t(`ws.trigger.${tr}` as MessageKey)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={t('ws.messageLocale')} error={null}>
                  {(c) => <input {...c} value={m.locale} onChange={(e) => update(m.key, { locale: e.target.value })} />}
                </Field>
                <Field label={t('ws.messageText')} error={unknown.length ? t('ws.unknownPlaceholder', { ph: unknown[0] ?? '' }) : null}>
                  {(c) => <textarea {...c} rows={2} value={m.text} onChange={(e) => update(m.key, { text: e.target.value })} />}
                </Field>
                <figure className="ws-preview">
                  <figcaption>
                    {t('ws.preview')} <span className="help">{t('ws.previewSample', { agent: sample.agentName, queue: sample.queueName })}</span>
                  </figcaption>
                  <p className="ws-bubble" data-testid={`ws-preview-${n}`}>
                    {fillAutomated(m.text, sample)}
                  </p>
                </figure>
                <button type="button" onClick={() => onChange(messages.filter((x) => x.key !== m.key))}>
                  {t('ws.removeMessage', { n })}
                </button>
              </fieldset>
            </li>
          );
        })}
      </ol>
      {error && (
        <p className="error field-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" onClick={() => onChange([...messages, { key: messageKey(), trigger: 'queued', locale: defaultLocale, text: '' }])}>
        {t('ws.addMessage')}
      </button>
    </section>
  );
}
