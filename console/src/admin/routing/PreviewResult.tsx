// What "Try a message" answered: the workstream and language, each ruleset
// with the rules tried and the one that matched, the skills, priority,
// attributes and queue, and each member of the queue with their verdict.
import type { AdminSchemas } from '../../api/types';
import type { MessageKey } from '../../i18n/dictionary';
import { useI18n, type Translate } from '../../i18n/i18n';

type Preview = AdminSchemas['Preview'];
type Considered = AdminSchemas['AgentConsidered'];

/** One agent's verdict in a sentence. */
export function verdict(t: Translate, a: Considered): string {
  const key = `rules.v.${a.result}` as MessageKey;
  return t(key, {
    rank: a.rank ?? '',
    presence: a.presence ?? '',
    free: a.free ?? '',
    needed: a.needed ?? '',
    profile: a.profile ?? '',
    missing: (a.missing ?? []).join(', '),
    times: a.times ?? '',
    agent: a.reserved_for ?? '',
  });
}

export function PreviewResult({ p, names }: { p: Preview; names: Record<string, string> }) {
  const { t } = useI18n();
  const skills = Object.entries(p.skills);
  const attrs = Object.entries(p.attributes);
  return (
    <section className="preview-result" aria-labelledby="preview-result-title" aria-live="polite">
      <h3 id="preview-result-title">{t('rules.result')}</h3>
      <dl className="preview-facts">
        <dt>{t('rules.r.workstream')}</dt>
        <dd>{p.workstream ?? t('rules.r.noWorkstream')}</dd>
        {p.locale && (
          <>
            <dt>{t('rules.r.language')}</dt>
            <dd>
              {p.locale}
              {p.locale_source && ` (${t(`rules.r.source.${p.locale_source}`)})`}
              {p.locale_source === 'given' && p.detected_locale && p.detected_locale !== p.locale && (
                <span className="help"> {t('rules.r.detectedDiffers', { locale: p.detected_locale })}</span>
              )}
            </dd>
            <dt>{t('rules.r.returning')}</dt>
            <dd>{p.returning ? t('rules.r.yes') : t('rules.r.no')}</dd>
          </>
        )}
      </dl>
      {p.rulesets.length > 0 && (
        <>
          <h4>{t('rules.r.rulesets')}</h4>
          <ol className="preview-rulesets">
            {p.rulesets.map((rs) => (
              <li key={rs.ruleset} data-matched={rs.matched ? 'yes' : 'no'}>
                <strong>{names[rs.ruleset] ?? rs.ruleset}</strong>: {rs.matched ? t('rules.r.matched', { rule: rs.matched }) : t('rules.r.noMatch')}
                <ul>
                  {rs.rules.map((r) => (
                    <li key={r.rule} className={r.matched ? 'rule-matched' : 'rule-not'}>
                      {r.matched ? t('rules.r.ruleMatched', { rule: r.rule }) : t('rules.r.ruleNot', { rule: r.rule })}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        </>
      )}
      {p.workstream && (
        <dl className="preview-facts">
          <dt>{t('rules.r.skills')}</dt>
          <dd>{skills.length ? skills.map(([s, l]) => `${s} ≥ ${l}`).join(', ') : t('rules.r.none')}</dd>
          <dt>{t('rules.r.priority')}</dt>
          <dd>{p.priority ?? ''}</dd>
          <dt>{t('rules.r.attributes')}</dt>
          <dd>{attrs.length ? attrs.map(([k, v]) => `${k} = ${v}`).join(', ') : t('rules.r.none')}</dd>
          <dt>{t('rules.r.queue')}</dt>
          <dd className="preview-queue">{p.outcome === 'queued' ? p.queue : p.outcome === 'ended' ? t('rules.r.ended') : t('rules.r.unrouted')}</dd>
        </dl>
      )}
      <p>
        <strong>{t('rules.r.why')}:</strong> {p.explanation}
      </p>
      {p.outcome === 'queued' && (
        <>
          <h4>{t('rules.r.agents')}</h4>
          <p>{t('rules.r.agentsSummary', { qualified: p.qualified, members: p.members })}</p>
          {p.offered_to && <p className="preview-offered">{t('rules.r.offeredTo', { agent: p.offered_to })}</p>}
          {p.affinity_agent && <p>{t('rules.r.affinity', { agent: p.affinity_agent })}</p>}
          {!p.offered_to && !p.affinity_agent && p.mode === 'pick' && <p>{t('rules.r.pick')}</p>}
          {p.agents.length === 0 ? (
            <p>{t('rules.r.noMembers')}</p>
          ) : (
            <table className="preview-agents">
              <thead>
                <tr>
                  <th scope="col">{t('rules.r.agent')}</th>
                  <th scope="col">{t('rules.r.verdict')}</th>
                </tr>
              </thead>
              <tbody>
                {p.agents.map((a) => (
                  <tr key={a.agent} data-result={a.result}>
                    <th scope="row">{a.agent}</th>
                    <td>{verdict(t, a)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {Object.entries(p.more_agents).map(([reason, count]) => (
            <p key={reason}>{t('rules.r.more', { count, reason })}</p>
          ))}
        </>
      )}
    </section>
  );
}
