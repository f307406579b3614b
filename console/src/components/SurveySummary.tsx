// Survey averages per agent and per queue over a chosen period.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { AdminPaths } from '../api/types';
import { useI18n } from '../i18n/i18n';

type Summary = AdminPaths['/admin/v1/surveys/summary']['get']['responses'][200]['content']['application/json'];

function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

export function SurveySummary({ api }: { api: Api }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(day(-30));
  const [to, setTo] = useState(day(1));
  const [summary, setSummary] = useState<Summary | null>(null);

  const load = useCallback(async () => {
    const { data } = await api.admin.GET('/admin/v1/surveys/summary', {
      params: { query: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } },
    });
    if (data) setSummary(data);
  }, [api, from, to]);

  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- load on open; then on Show
  }, []);

  const rows = (list: { id: string; responses: number; average: number | null }[]) =>
    list.map((r) => (
      <tr key={r.id}>
        <td>{r.id}</td>
        <td>{r.responses}</td>
        <td>{r.average === null ? '–' : r.average.toFixed(2)}</td>
      </tr>
    ));

  return (
    <section className="surveys" aria-labelledby="surveys-heading">
      <h2 id="surveys-heading">{t('surveys')}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <label>
          {t('from')} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          {t('to')} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <button type="submit">{t('show')}</button>
      </form>
      {summary && (
        <div className="survey-tables">
          <table>
            <caption>{t('agents')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('agent')}</th>
                <th scope="col">{t('responses')}</th>
                <th scope="col">{t('average')}</th>
              </tr>
            </thead>
            <tbody>{rows(summary.agents.map((a) => ({ id: a.agent_id, responses: a.responses, average: a.average ?? null })))}</tbody>
          </table>
          <table>
            <caption>{t('queues')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('queue')}</th>
                <th scope="col">{t('responses')}</th>
                <th scope="col">{t('average')}</th>
              </tr>
            </thead>
            <tbody>{rows(summary.queues.map((q) => ({ id: q.queue_id, responses: q.responses, average: q.average ?? null })))}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}
