// Who signed in: an agent (maybe a supervisor) or, under serve, the admin
// token (supervisor-only mode). Under serve the token is kept for the tab
// (sessionStorage); Cognito tokens are kept in memory only.

export type Identity =
  | { kind: 'agent'; agentId: string; name: string; supervisor: boolean }
  | { kind: 'admin' };

export interface Session {
  token: string;
  identity: Identity;
  /** Cognito: refreshed in memory; never stored. */
  cognito: boolean;
}

const TOKEN_KEY = 'switchboard.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* unavailable */
  }
}

async function get(apiUrl: string, path: string, token: string): Promise<Response> {
  return fetch(`${apiUrl}${path}`, { headers: { Authorization: `Bearer ${token}`, accept: 'application/json' } });
}

export class SignInRejected extends Error {}

/** Find out whose token this is: `/agent/v1/me`, else the admin API. */
export async function identify(apiUrl: string, token: string): Promise<Identity> {
  const me = await get(apiUrl, '/agent/v1/me', token);
  if (me.ok) {
    const j = (await me.json()) as { agent_id: string; name?: string; supervisor?: boolean };
    return { kind: 'agent', agentId: j.agent_id, name: j.name ?? j.agent_id, supervisor: j.supervisor === true };
  }
  if (me.status === 404) {
    // A server without /agent/v1/me: the presence names the agent.
    const p = await get(apiUrl, '/agent/v1/presence', token);
    if (p.ok) {
      const j = (await p.json()) as { agent_id: string };
      return { kind: 'agent', agentId: j.agent_id, name: j.agent_id, supervisor: false };
    }
  }
  const admin = await get(apiUrl, '/admin/v1/agents?limit=1', token);
  if (admin.ok) return { kind: 'admin' };
  throw new SignInRejected('token not accepted');
}

/** Exchange a one-time sign-in link's code for a token. */
export async function exchangeSignInCode(apiUrl: string, code: string): Promise<string> {
  const res = await fetch(`${apiUrl}/agent/v1/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ code }),
  });
  if (!res.ok) throw new SignInRejected(`sign-in answered ${res.status}`);
  const j = (await res.json()) as { token: string };
  return j.token;
}
