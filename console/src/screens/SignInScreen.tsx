// Sign-in: a token under serve (agent or admin), the organisation's hosted UI in AWS.
import { useState, type FormEvent } from 'react';
import type { ConsoleConfig } from '../auth/config';
import { beginCognitoSignIn } from '../auth/cognito';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from '../components/LanguageSwitch';

interface Props {
  config: ConsoleConfig;
  notice: string | null;
  onToken: (token: string) => Promise<void>;
}

export function SignInScreen({ config, notice, onToken }: Props) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await onToken(token.trim());
    } catch {
      setError(t('signInFailed'));
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <div className="sign-in-card">
        <div className="sign-in-head">
          <h1>{t('signInTitle')}</h1>
          <LanguageSwitch />
        </div>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {config.auth.kind === 'cognito' ? (
          <button type="button" className="primary" onClick={() => config.auth.kind === 'cognito' && void beginCognitoSignIn(config.auth)}>
            {t('signInWithCognito')}
          </button>
        ) : (
          <form onSubmit={(e) => void submit(e)}>
            <label htmlFor="token">{t('token')}</label>
            <input
              id="token"
              type="password"
              autoComplete="off"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              aria-describedby="token-help"
              aria-invalid={error ? true : undefined}
            />
            <p id="token-help" className="help">
              {t('tokenHelp')}
            </p>
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? t('signingIn') : t('signIn')}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
