// The typed API clients (openapi-fetch over the generated paths) and the
// bearer token they carry; a 401 tells the session to sign out.
import createClient, { type Middleware } from 'openapi-fetch';
import type { AdminPaths, AgentPaths, Problem } from './types';

export interface ApiAuth {
  token: () => string | null;
  onUnauthenticated: () => void;
}

export function createApi(baseUrl: string, auth: ApiAuth) {
  const bearer: Middleware = {
    onRequest({ request }) {
      const t = auth.token();
      if (t) request.headers.set('Authorization', `Bearer ${t}`);
      return request;
    },
    onResponse({ response, request }) {
      const signingIn = new URL(request.url).pathname.endsWith('/agent/v1/sign-in');
      if (response.status === 401 && !signingIn) auth.onUnauthenticated();
      return response;
    },
  };
  const agent = createClient<AgentPaths>({ baseUrl });
  const admin = createClient<AdminPaths>({ baseUrl });
  agent.use(bearer);
  admin.use(bearer);
  return { agent, admin };
}

export type Api = ReturnType<typeof createApi>;

/** A sentence for a failed call: the problem's detail, else its status. */
export function problemText(error: unknown, fallback: string): string {
  if (error && typeof error === 'object' && 'detail' in error) {
    const p = error as Partial<Problem>;
    if (typeof p.detail === 'string' && p.detail) return p.detail;
  }
  return fallback;
}
