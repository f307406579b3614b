// Today's service levels (since local midnight), in all and per queue: first
// response and time to assign (p50 / p90), handle time, and the conversations
// reclaimed, handed off, abandoned and auto-closed; refreshed every 30 s.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { AdminPaths } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { formatDuration } from '../logic/messagingWindow';

type Report = AdminPaths['/admin/v1/reports/service-level']['get']['responses'][200]['content']['application/json'];
type Figures = Report['total'];

const REFRESH_MS = 30_000;

function seconds(s: number | null | undefined): string {
  return s === null || s === undefined ? '–' : formatDuration(s * 1000);
}

export function ServiceLevelToday({ api, refreshKey }: { api: Api; refreshKey?: number }) {
  const { t } = useI18n();
  const [report, setReport] = useState<Report | null>(null);

  const load = useCallback(async () => {
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const { data } = await api.admin.GET('/admin/v1/reports/service-level', { params: { query: { from: midnight.toISOString() } } });
    if (data) setReport(data);
  }, [api]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load, refreshKey]);

  const row = (key: string, label: string, f: Figures) => (
    <tr key={key} data-row={key}>
      <th scope="row">{label}</th>
      <td>
        {seconds(f.first_response.p50)} / {seconds(f.first_response.p90)}
      </td>
      <td>
        {seconds(f.time_to_assign.p50)} / {seconds(f.time_to_assign.p90)}
      </td>
      <td>{seconds(f.handle_time.average === null ? null : Math.round(f.handle_time.average))}</td>
      <td data-testid={`reclaimed-${key}`}>{f.reclaimed}</td>
      <td data-testid={`handed-off-${key}`}>{f.handed_off}</td>
      <td>{f.abandoned}</td>
      <td>{f.auto_closed}</td>
      <td>{f.survey_average === null ? '–' : f.survey_average.toFixed(2)}</td>
    </tr>
  );

  return (
    <section className="service-level" aria-labelledby="service-level-heading">
      <h2 id="service-level-heading">{t('serviceToday')}</h2>
      {!report ? (
        <p role="status">{t('loading')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('queue')}</th>
              <th scope="col">{t('firstResponse')}</th>
              <th scope="col">{t('timeToAssign')}</th>
              <th scope="col">{t('handleTime')}</th>
              <th scope="col">{t('reclaimed')}</th>
              <th scope="col">{t('handedOff')}</th>
              <th scope="col">{t('abandoned')}</th>
              <th scope="col">{t('autoClosed')}</th>
              <th scope="col">{t('surveyAverage')}</th>
            </tr>
          </thead>
          <tbody>
            {row('all', t('allQueues'), report.total)}
            {report.queues.map((q) => row(q.queue_id, q.queue_id, q))}
          </tbody>
        </table>
      )}
    </section>
  );
}
