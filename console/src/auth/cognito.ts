// Cognito's hosted UI: authorization code with PKCE. Tokens stay in memory and
// are refreshed before they expire; only the PKCE verifier and state wait in
// sessionStorage across the redirect.
import type { AuthConfig } from './config';

type Cognito = Extract<AuthConfig, { kind: 'cognito' }>;

export interface CognitoTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: number;
}

const VERIFIER = 'switchboard.pkce.verifier';
const STATE = 'switchboard.pkce.state';

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(n: number): string {
  const a = new Uint8Array(n);
  crypto.getRandomValues(a);
  return base64url(a);
}

export async function beginCognitoSignIn(c: Cognito): Promise<void> {
  const verifier = random(48);
  const state = random(16);
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const url = new URL('/oauth2/authorize', c.domain);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', c.client_id);
  url.searchParams.set('redirect_uri', c.redirect_uri);
  url.searchParams.set('scope', 'openid');
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('code_challenge', base64url(digest));
  window.location.assign(url.toString());
}

async function tokenRequest(c: Cognito, body: Record<string, string>): Promise<CognitoTokens> {
  const res = await fetch(new URL('/oauth2/token', c.domain), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: c.client_id, ...body }),
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
  const j = (await res.json()) as { access_token: string; refresh_token?: string; expires_in: number };
  return { accessToken: j.access_token, refreshToken: j.refresh_token ?? body.refresh_token ?? null, expiresAt: Date.now() + j.expires_in * 1000 };
}

/** Finish the redirect (`?code=&state=`); null when this page is not one. */
export async function completeCognitoSignIn(c: Cognito, search: URLSearchParams): Promise<CognitoTokens | null> {
  const code = search.get('code');
  const state = search.get('state');
  const verifier = sessionStorage.getItem(VERIFIER);
  if (!code || !state || state !== sessionStorage.getItem(STATE) || !verifier) return null;
  sessionStorage.removeItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  return tokenRequest(c, { grant_type: 'authorization_code', code, redirect_uri: c.redirect_uri, code_verifier: verifier });
}

export function refreshCognito(c: Cognito, refreshToken: string): Promise<CognitoTokens> {
  return tokenRequest(c, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

export function cognitoLogoutUrl(c: Cognito): string {
  const url = new URL('/logout', c.domain);
  url.searchParams.set('client_id', c.client_id);
  url.searchParams.set('logout_uri', c.redirect_uri);
  return url.toString();
}
