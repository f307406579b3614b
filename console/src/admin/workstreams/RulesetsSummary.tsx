// The workstream's rulesets in run order (read-only; edited under Routing rules).
import { useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';

export function RulesetsSummary({ api, workstream }: { api: Api; workstream: string }) {
  const { t } = useI18n();
  const [rulesets, setRulesets] = useState<AdminSchemas['Ruleset'][] | null>(null);
  useEffect(() => {
    let live = true;
    void api.admin.GET('/admin/v1/rulesets', { params: { query: { workstream } } }).then(({ data }) => {
      if (live && data) setRulesets(data.rulesets);
    });
    return () => {
      live = false;
    };
  }, [api, workstream]);
  if (!rulesets) return null;
  if (rulesets.length === 0) return <p>{t('ws.noRulesets')}</p>;
  return (
    <ol className="ws-rulesets" aria-label={t('ws.rulesets')}>
      {rulesets.map((r) => (
        <li key={r.id}>
          {r.name} <span className="help">({t(r.kind === 'classification' ? 'ws.kind.classification' : 'ws.kind.route_to_queue')}, {t('ws.ruleCount', { n: r.rules.length })})</span>
        </li>
      ))}
    </ol>
  );
}
