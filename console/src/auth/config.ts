// /config.json: where the API and the socket are, and how people sign in.
export type AuthConfig =
  | { kind: 'token' }
  | { kind: 'cognito'; domain: string; client_id: string; redirect_uri: string };

export interface ConsoleConfig {
  api_url: string;
  ws_url: string;
  auth: AuthConfig;
}

const SERVE_DEFAULT: ConsoleConfig = { api_url: '', ws_url: '', auth: { kind: 'token' } };

export async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const res = await fetch('/config.json', { headers: { accept: 'application/json' } });
    if (!res.ok) return SERVE_DEFAULT;
    const c = (await res.json()) as Partial<ConsoleConfig>;
    const auth = c.auth && c.auth.kind === 'cognito' ? c.auth : { kind: 'token' as const };
    return { api_url: (c.api_url ?? '').replace(/\/$/, ''), ws_url: c.ws_url ?? '', auth };
  } catch {
    return SERVE_DEFAULT;
  }
}
