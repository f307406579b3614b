// Routing diagnostics as a timeline: classified (rules matched), queued (why),
// offered (to whom), and each agent considered with the verdict.
import type { AdminPaths } from '../api/types';
import { useI18n } from '../i18n/i18n';

type Diagnostics = AdminPaths['/admin/v1/conversations/{conversation_id}/routing']['get']['responses'][200]['content']['application/json'];

function describe(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(describe).join(', ');
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${describe(x)}`)
      .join('; ');
  return String(v);
}

export function RoutingDiagnostics({ diagnostics }: { diagnostics: Diagnostics }) {
  const { t } = useI18n();
  const r = diagnostics.routing;
  return (
    <section className="routing" aria-labelledby="routing-heading">
      <h3 id="routing-heading">{t('routing')}</h3>
      <p className="routing-now">{diagnostics.explanation}</p>
      <p>
        {t('queue')}: {r.queue ?? '–'} · {t('agent')}: {r.agent ?? '–'} · {t('routingPriority')}: {r.priority ?? '–'}
      </p>
      <ol className="routing-steps">
        {(r.decisions ?? []).map((d, i) => (
          <li key={i}>
            <p>
              <strong>{d.step}</strong> <time dateTime={d.at}>{new Date(d.at).toLocaleTimeString()}</time>: {d.detail}
            </p>
            {d.rulesets && d.rulesets.length > 0 && (
              <ul>
                {d.rulesets.map((rs, j) => {
                  const o = rs as { ruleset?: string; kind?: string; rules?: { rule?: string; matched?: boolean }[] };
                  return (
                    <li key={j}>
                      ruleset {o.ruleset} [{o.kind}]:{' '}
                      {(o.rules ?? []).map((x, k) => (
                        <span key={k} className={x.matched ? 'matched' : 'unmatched'}>
                          {x.rule}
                          {x.matched ? ' ✓' : ''}
                          {k + 1 < (o.rules ?? []).length ? ', ' : ''}
                        </span>
                      ))}
                    </li>
                  );
                })}
              </ul>
            )}
            {d.agents && d.agents.length > 0 && (
              <table className="verdicts">
                <thead>
                  <tr>
                    <th scope="col">{t('agent')}</th>
                    <th scope="col">{t('routingVerdict')}</th>
                    <th scope="col">{t('routingWhy')}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.agents.map((a, k) => {
                    const { agent, result, ...rest } = a as unknown as { agent: string; result: string } & Record<string, unknown>;
                    return (
                      <tr key={k} className={`verdict-${result}`}>
                        <td>{agent}</td>
                        <td>{result}</td>
                        <td>{describe(rest)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            {d.more_agents && Object.keys(d.more_agents).length > 0 && (
              <p>
                {Object.entries(d.more_agents)
                  .map(([why, n]) => `+${n} ${why}`)
                  .join(', ')}
              </p>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
