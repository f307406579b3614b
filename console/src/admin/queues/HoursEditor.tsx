// The weekly operating-hours editor: always open, or per weekday open/closed
// with time spans, in one time zone, with holidays.
import { useState } from 'react';
import { useI18n } from '../../i18n/i18n';
import type { MessageKey } from '../../i18n/dictionary';
import { Field } from '../form/Field';
import { DAYS, timeZones, type Day, type DayModel, type HoursModel } from './hours';

interface Props {
  model: HoursModel;
  onChange: (m: HoursModel) => void;
  error: string | null;
}

export function HoursEditor({ model, onChange, error }: Props) {
  const { t } = useI18n();
  const [holiday, setHoliday] = useState('');
  const setDay = (d: Day, day: DayModel) => onChange({ ...model, days: { ...model.days, [d]: day } });
  const dayName = (d: Day) => t(`queues.day.${d}` as MessageKey);
  return (
    <section className="admin-section" aria-labelledby="queues-s-hours">
      <h2 id="queues-s-hours">{t('queues.s.hours')}</h2>
      <div className="check">
        <input id="queues-limited" type="checkbox" checked={model.limited} onChange={(e) => onChange({ ...model, limited: e.target.checked })} />
        <label htmlFor="queues-limited">{t('queues.limited')}</label>
      </div>
      {error && (
        <p className="error field-error" role="alert">
          {error}
        </p>
      )}
      {model.limited && (
        <>
          <Field label={t('queues.timeZone')} error={null}>
            {(c) => (
              <select {...c} value={model.timeZone} onChange={(e) => onChange({ ...model, timeZone: e.target.value })}>
                {timeZones(model.timeZone).map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <table className="queues-week">
            <caption className="visually-hidden">{t('queues.s.hours')}</caption>
            <tbody>
              {DAYS.map((d) => {
                const day = model.days[d];
                return (
                  <tr key={d}>
                    <th scope="row">
                      <input id={`queues-open-${d}`} type="checkbox" checked={day.open} onChange={(e) => setDay(d, { ...day, open: e.target.checked })} />{' '}
                      <label htmlFor={`queues-open-${d}`}>
                        <span className="visually-hidden">{t('queues.dayOpen', { day: dayName(d) })}: </span>
                        <span aria-hidden="true">{dayName(d)}</span>
                      </label>
                    </th>
                    <td>
                      {day.open ? (
                        <>
                          {day.spans.map((s, i) => (
                            <span key={i} className="queues-span">
                              <input
                                type="time"
                                aria-label={t('queues.from', { day: dayName(d), n: i + 1 })}
                                value={s.from}
                                onChange={(e) => setDay(d, { ...day, spans: day.spans.map((x, j) => (j === i ? { ...x, from: e.target.value } : x)) })}
                              />
                              –
                              <input
                                type="time"
                                aria-label={t('queues.to', { day: dayName(d), n: i + 1 })}
                                value={s.to}
                                onChange={(e) => setDay(d, { ...day, spans: day.spans.map((x, j) => (j === i ? { ...x, to: e.target.value } : x)) })}
                              />
                              {day.spans.length > 1 && (
                                <button type="button" aria-label={t('queues.removeSpan', { n: i + 1, day: dayName(d) })} onClick={() => setDay(d, { ...day, spans: day.spans.filter((_, j) => j !== i) })}>
                                  ×
                                </button>
                              )}
                            </span>
                          ))}
                          <button type="button" aria-label={t('queues.addSpan', { day: dayName(d) })} onClick={() => setDay(d, { ...day, spans: [...day.spans, { from: '13:00', to: '17:00' }] })}>
                            +
                          </button>
                        </>
                      ) : (
                        <span className="help">{t('queues.closed')}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <fieldset>
            <legend>{t('queues.holidays')}</legend>
            {model.holidays.length === 0 ? (
              <p className="help">{t('queues.noHolidays')}</p>
            ) : (
              <ul className="queues-holidays">
                {model.holidays.map((h) => (
                  <li key={h}>
                    <time dateTime={h}>{h}</time>{' '}
                    <button type="button" aria-label={t('queues.removeHoliday', { date: h })} onClick={() => onChange({ ...model, holidays: model.holidays.filter((x) => x !== h) })}>
                      ×
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <label htmlFor="queues-holiday">{t('queues.holiday')}</label>{' '}
            <input id="queues-holiday" type="date" value={holiday} onChange={(e) => setHoliday(e.target.value)} />{' '}
            <button
              type="button"
              disabled={!holiday}
              onClick={() => {
                if (!model.holidays.includes(holiday)) onChange({ ...model, holidays: [...model.holidays, holiday].sort() });
                setHoliday('');
              }}
            >
              {t('queues.addHoliday')}
            </button>
          </fieldset>
        </>
      )}
    </section>
  );
}
