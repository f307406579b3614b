import { afterEach, describe, expect, it, vi } from 'vitest';
import { beginCognitoSignIn, completeCognitoSignIn, refreshCognito } from './cognito';

const cfg = { kind: 'cognito' as const, domain: 'https://acme.auth.eu-west-1.amazoncognito.com', client_id: 'client123', redirect_uri: 'https://d111.cloudfront.net/' };

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

async function sha256url(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
  return btoa(String.fromCharCode(...d)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

describe('Cognito hosted UI with PKCE', () => {
  it('sends the browser to authorize with an S256 challenge of a kept verifier', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    await beginCognitoSignIn(cfg);
    const url = new URL(String(assign.mock.calls[0]?.[0]));
    expect(url.origin + url.pathname).toBe('https://acme.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe('client123');
    expect(url.searchParams.get('redirect_uri')).toBe(cfg.redirect_uri);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const verifier = sessionStorage.getItem('switchboard.pkce.verifier') ?? '';
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(url.searchParams.get('code_challenge')).toBe(await sha256url(verifier));
    expect(url.searchParams.get('state')).toBe(sessionStorage.getItem('switchboard.pkce.state'));
  });

  it('exchanges the code with the verifier once, refuses a wrong state, and refreshes', async () => {
    sessionStorage.setItem('switchboard.pkce.verifier', 'v'.repeat(64));
    sessionStorage.setItem('switchboard.pkce.state', 'st');
    const bodies: URLSearchParams[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: URL, init: RequestInit) => {
        bodies.push(new URLSearchParams(String(init.body)));
        return new Response(JSON.stringify({ access_token: 'at', refresh_token: 'rt', expires_in: 3600 }), { status: 200 });
      }),
    );
    expect(await completeCognitoSignIn(cfg, new URLSearchParams('code=c1&state=other'))).toBeNull();
    const tokens = await completeCognitoSignIn(cfg, new URLSearchParams('code=c1&state=st'));
    expect(tokens).toMatchObject({ accessToken: 'at', refreshToken: 'rt' });
    expect(Object.fromEntries(bodies[0] ?? [])).toEqual({ client_id: 'client123', grant_type: 'authorization_code', code: 'c1', redirect_uri: cfg.redirect_uri, code_verifier: 'v'.repeat(64) });
    expect(sessionStorage.getItem('switchboard.pkce.verifier')).toBeNull();
    expect(await completeCognitoSignIn(cfg, new URLSearchParams('code=c1&state=st'))).toBeNull();
    await refreshCognito(cfg, 'rt');
    expect(bodies[1]?.get('grant_type')).toBe('refresh_token');
    expect(bodies[1]?.get('refresh_token')).toBe('rt');
  });
});
