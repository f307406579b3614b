// The agent's tokens in use (issued, expiry, kind; never the tokens
// themselves), each revoked after a confirmation.
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AdminPaths } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { ConfirmDialog } from '../form/ConfirmDialog';
import { ErrorLine } from '../form/ErrorLine';

type Token =
  AdminPaths['/admin/v1/agents/{agent_id}/tokens']['get']['responses'][200]['content']['application/json']['tokens'][number];

export function TokensPanel({ api, agentId, refresh }: { api: Api; agentId: string; refresh: number }) {
  const { t } = useI18n();
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    const r = await api.admin.GET('/admin/v1/agents/{agent_id}/tokens', { params: { path: { agent_id: agentId } } });
    if (r.data) {
      setTokens(r.data.tokens);
      setError(null);
    } else setError(problemText(r.error, t('agents.loadFailed')));
  }, [api, agentId, t]);
  useEffect(() => {
    void load();
  }, [load, refresh]);
  const revoke = async (tok: Token) => {
    setBusy(true);
    const r = await api.admin.DELETE('/admin/v1/agents/{agent_id}/tokens/{token_id}', {
      params: { path: { agent_id: agentId, token_id: tok.token_id } },
    });
    setBusy(false);
    if (r.response.ok) {
      setRevoking(null);
      setRevokeError(null);
      await load();
    } else setRevokeError(problemText(r.error, t('agents.revokeFailed')));
  };
  const when = (s: string) => new Date(s).toLocaleString();
  return (
    <section className="agent-panel" aria-labelledby="agent-tokens-heading">
      <h2 id="agent-tokens-heading">{t('agents.tokens')}</h2>
      <ErrorLine>{error}</ErrorLine>
      {tokens && tokens.length === 0 && <p>{t('agents.noTokens')}</p>}
      {tokens && tokens.length > 0 && (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">{t('agents.tokenKind')}</th>
              <th scope="col">{t('agents.tokenIssued')}</th>
              <th scope="col">{t('agents.tokenExpires')}</th>
              <td />
            </tr>
          </thead>
          <tbody>
            {tokens.map((tok) => (
              <tr key={tok.token_id}>
                <td>
                  <code>{tok.token_id}</code>
                </td>
                <td>{tok.supervisor ? t('agents.supervisor') : t('agents.agent')}</td>
                <td>
                  <time dateTime={tok.issued_at}>{when(tok.issued_at)}</time>
                </td>
                <td>
                  <time dateTime={tok.expires_at}>{when(tok.expires_at)}</time>
                </td>
                <td>
                  <button type="button" className="danger" onClick={() => setRevoking(tok)}>
                    {t('agents.revoke', { id: tok.token_id })}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && (
        <ConfirmDialog
          title={t('agents.revokeTitle', { id: revoking.token_id })}
          consequences={[t('agents.revokeNow'), t('agents.revokeAgain')]}
          confirmLabel={t('agents.confirmRevoke')}
          busy={busy}
          error={revokeError}
          onConfirm={() => void revoke(revoking)}
          onCancel={() => {
            setRevoking(null);
            setRevokeError(null);
          }}
        />
      )}
    </section>
  );
}
