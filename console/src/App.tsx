// The console: load /config.json, sign in, then the agent workspace, the
// supervisor view or (the admin token, or Cognito's admin group) the admin
// console, which is loaded on demand. A 401 anywhere brings the user back to sign-in (drafts are
// kept in sessionStorage).
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createApi } from './api/client';
import { loadConfig, type ConsoleConfig } from './auth/config';
import { cognitoLogoutUrl, completeCognitoSignIn, refreshCognito, type CognitoTokens } from './auth/cognito';
import { exchangeSignInCode, identify, storedToken, storeToken, type Session } from './auth/session';
import { useI18n } from './i18n/i18n';
import { SignInScreen } from './screens/SignInScreen';
import { AgentWorkspace } from './screens/AgentWorkspace';
import { SupervisorView } from './screens/SupervisorView';
import { TopBar } from './components/TopBar';
import { useHeartbeat } from './realtime/heartbeat';

const AdminConsole = lazy(() => import('./admin/AdminConsole'));

type View = 'workspace' | 'supervisor';

export function App() {
  const { t } = useI18n();
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [booting, setBooting] = useState(true);
  const [notice, setNotice] = useState<'sessionEnded' | 'linkInvalid' | null>(null);
  const [view, setView] = useState<View>('workspace');
  const tokenRef = useRef<string | null>(null);
  const cognitoRef = useRef<CognitoTokens | null>(null);

  const signOut = useCallback(
    (expired: boolean) => {
      tokenRef.current = null;
      cognitoRef.current = null;
      storeToken(null);
      setSession(null);
      setNotice(expired ? 'sessionEnded' : null);
      if (window.location.pathname !== '/') window.history.replaceState(null, '', '/');
    },
    [],
  );

  const expire = useCallback(() => signOut(true), [signOut]);

  const api = useMemo(
    () =>
      createApi(config?.api_url ?? '', {
        token: () => tokenRef.current,
        onUnauthenticated: () => {
          if (tokenRef.current) signOut(true);
        },
      }),
    [config, signOut],
  );

  // While an agent has the console open, the server knows they are here.
  useHeartbeat(api, session?.identity.kind === 'agent');

  const start = useCallback(async (cfg: ConsoleConfig, token: string, cognito: boolean) => {
    const identity = await identify(cfg.api_url, token);
    tokenRef.current = token;
    if (!cognito) storeToken(token);
    setSession({ token, identity, cognito });
    setView(identity.kind === 'agent' && identity.supervisor && window.location.pathname === '/supervisor' ? 'supervisor' : 'workspace');
    if (identity.kind === 'admin' && !window.location.pathname.startsWith('/manage/')) window.history.replaceState(null, '', '/manage/overview');
  }, []);

  // Boot: config, then a sign-in link, a Cognito redirect or a kept token.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const cfg = await loadConfig();
      if (cancelled) return;
      setConfig(cfg);
      const search = new URLSearchParams(window.location.search);
      try {
        if (cfg.auth.kind === 'cognito') {
          const tokens = await completeCognitoSignIn(cfg.auth, search);
          if (tokens) {
            cognitoRef.current = tokens;
            window.history.replaceState(null, '', '/');
            await start(cfg, tokens.accessToken, true);
          }
        } else if (window.location.pathname === '/sign-in' && search.get('code')) {
          const code = search.get('code') ?? '';
          window.history.replaceState(null, '', '/');
          const token = await exchangeSignInCode(cfg.api_url, code);
          await start(cfg, token, false);
        } else {
          const kept = storedToken();
          if (kept) await start(cfg, kept, false);
        }
      } catch {
        if (!cancelled) {
          storeToken(null);
          if (search.get('code')) setNotice('linkInvalid');
        }
      } finally {
        if (!cancelled) setBooting(false);
      }
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- boot once
  }, []);

  // Cognito: refresh the access token a minute before it expires.
  useEffect(() => {
    const c = cognitoRef.current;
    if (!session?.cognito || !c?.refreshToken || config?.auth.kind !== 'cognito') return;
    const auth = config.auth;
    const refreshToken = c.refreshToken;
    const timer = setTimeout(() => {
      refreshCognito(auth, refreshToken)
        .then((next) => {
          cognitoRef.current = next;
          tokenRef.current = next.accessToken;
          setSession((s) => (s ? { ...s, token: next.accessToken } : s));
        })
        .catch(() => signOut(true));
    }, Math.max(5_000, c.expiresAt - Date.now() - 60_000));
    return () => clearTimeout(timer);
  }, [session, config, signOut]);

  if (booting || !config) return <p className="loading" role="status">{t('loading')}</p>;

  if (!session)
    return (
      <SignInScreen
        config={config}
        notice={notice ? t(notice) : null}
        onToken={async (token) => {
          await start(config, token, false);
          setNotice(null);
        }}
      />
    );

  const onSignOut = async () => {
    const wasCognito = session.cognito && config.auth.kind === 'cognito';
    // An agent who signs out is offline: their offers move on now, and what
    // they hold is handed off when the workstream says (best effort).
    if (session.identity.kind === 'agent')
      await api.agent.PUT('/agent/v1/presence', { body: { status: 'offline' }, signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    signOut(false);
    if (wasCognito && config.auth.kind === 'cognito') window.location.assign(cognitoLogoutUrl(config.auth));
  };
  const canSupervise = session.identity.kind === 'admin' || session.identity.supervisor;

  return (
    <div className="app">
      <TopBar
        session={session}
        view={view}
        canSupervise={canSupervise}
        onView={(v) => {
          setView(v);
          window.history.replaceState(null, '', v === 'supervisor' ? '/supervisor' : '/');
        }}
        onSignOut={() => void onSignOut()}
      />
      {session.identity.kind === 'admin' ? (
        <Suspense fallback={<p role="status">{t('loading')}</p>}>
          <AdminConsole api={api} />
        </Suspense>
      ) : view === 'supervisor' ? (
        <SupervisorView api={api} admin={false} />
      ) : (
        <AgentWorkspace api={api} config={config} session={session} identity={session.identity} onUnauthenticated={expire} />
      )}
    </div>
  );
}
