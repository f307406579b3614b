// How the agent signs in: under serve a one-time sign-in link (shown once,
// with a copy button and its expiry); in AWS the user-pool user (the user
// name is the agent id, the email an alias).
import { useEffect, useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import type { AuthConfig } from '../../auth/config';
import { useI18n } from '../../i18n/i18n';
import { CopyButton } from '../form/CopyButton';
import { ErrorLine } from '../form/ErrorLine';

interface Link {
  url: string;
  expires_at: string;
}

interface Props {
  api: Api;
  auth: AuthConfig['kind'];
  agentId: string;
  email: string;
  onIssued: () => void;
}

export function SignInPanel({ api, auth, agentId, email, onIssued }: Props) {
  const { t } = useI18n();
  const [supervisor, setSupervisor] = useState(false);
  const [link, setLink] = useState<Link | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The link is for this agent only: another agent's editor starts without one.
  useEffect(() => setLink(null), [agentId]);
  const create = async () => {
    setBusy(true);
    const r = await api.admin.POST('/admin/v1/agents/{agent_id}/sign-in-links', {
      params: { path: { agent_id: agentId } },
      body: { supervisor },
    });
    setBusy(false);
    if (r.data) {
      setLink({ url: r.data.url, expires_at: r.data.expires_at });
      setError(null);
      onIssued();
    } else setError(problemText(r.error, t('agents.linkFailed')));
  };
  return (
    <section className="agent-panel" aria-labelledby="agent-signin-heading">
      <h2 id="agent-signin-heading">{t('agents.signIn')}</h2>
      {auth === 'cognito' && <p>{t('agents.userPool', { id: agentId, email })}</p>}
      {auth === 'token' && (
        <>
          <div className="inline-form">
            <label className="check">
              <input type="checkbox" checked={supervisor} onChange={(e) => setSupervisor(e.target.checked)} />
              {t('agents.asSupervisor')}
            </label>
            <button type="button" disabled={busy} onClick={() => void create()}>
              {t('agents.createLink')}
            </button>
          </div>
          <ErrorLine>{error}</ErrorLine>
          {link && (
            <div className="sign-in-link">
              <p>{t('agents.linkOnce', { expires: new Date(link.expires_at).toLocaleString() })}</p>
              <p>
                <code className="one-time-url">{link.url}</code> <CopyButton value={link.url} what={t('agents.link')} />
              </p>
            </div>
          )}
        </>
      )}
    </section>
  );
}
