import createClient from 'openapi-fetch';
import type { AdminPaths, AgentPaths } from '../api/types';

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

function clients(apiUrl: string, token?: string) {
  const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
  return { agent: createClient<AgentPaths>({ baseUrl: apiUrl, headers }), admin: createClient<AdminPaths>({ baseUrl: apiUrl, headers }) };
}

export class SignInRejected extends Error {}

/** Find out whose token this is: `/agent/v1/me`, else the admin API (supervisor-only mode). */
export async function identify(apiUrl: string, token: string): Promise<Identity> {
  const c = clients(apiUrl, token);
  const me = await c.agent.GET('/agent/v1/me');
  if (me.data) return { kind: 'agent', agentId: me.data.agent_id, name: me.data.name, supervisor: me.data.supervisor };
  const admin = await c.admin.GET('/admin/v1/agents');
  if (admin.data) return { kind: 'admin' };
  throw new SignInRejected('token not accepted');
}

/** Exchange a one-time sign-in link's code for a token. */
export async function exchangeSignInCode(apiUrl: string, code: string): Promise<string> {
  const { data } = await clients(apiUrl).agent.POST('/agent/v1/sign-in', { body: { code } });
  if (!data) throw new SignInRejected('sign-in link not accepted');
  return data.token;
}
