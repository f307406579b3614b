// A real Switchboard for one test: `switchboard fake-graph` and `switchboard
// serve` (examples/switchboard.yaml, a fresh data dir, free ports, serving the
// built console), and what a test does to it: issue tokens, play the customer
// (signed webhooks, as Meta sends them), read what the fake Graph received.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const APP_SECRET = 'local-dev-app-secret';
const PAGE = '104857600000001';

function binary(): string {
  const candidates = [
    process.env.SWITCHBOARD_BIN,
    process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, 'debug', 'switchboard'),
    join(ROOT, 'target', 'debug', 'switchboard'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no switchboard binary (looked at ${candidates.join(', ')}); run cargo build -p switchboard-cli`);
  return found;
}

/** `n` distinct free ports: every listener stays open until all are chosen, so two can never be the same. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const srv = createServer();
          srv.on('error', fail);
          srv.listen(0, '127.0.0.1', () => ok(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => {
    const addr = srv.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  });
  await Promise.all(servers.map((srv) => new Promise<void>((ok) => srv.close(() => ok()))));
  return ports;
}

/** Until `url` answers `ok` (a status below 500, or exactly 200 when `exact`), from this process. */
async function waitFor(url: string, proc: ChildProcess, log: () => string, exact = false): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`${url}: the process exited (${proc.exitCode}):\n${log()}`);
    try {
      const r = await fetch(url);
      if (exact ? r.status === 200 : r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up:\n${log()}`);
}

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
}

export class Stack {
  /** serve: the console at /, the API beside it. */
  readonly base: string;
  readonly graph: string;
  private procs: ChildProcess[] = [];
  private logs: string[] = [];
  private seq = 0;

  private constructor(
    base: string,
    graph: string,
    private readonly dataDir: string,
  ) {
    this.base = base;
    this.graph = graph;
  }

  static async start(): Promise<Stack> {
    const bin = binary();
    const [gp, sp] = await freePorts(2);
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
    const s = new Stack(`http://127.0.0.1:${sp}`, `http://127.0.0.1:${gp}`, dataDir);
    const graph = s.spawn(bin, ['fake-graph', '--addr', `127.0.0.1:${gp}`], {});
    await waitFor(`${s.graph}/_fake/requests`, graph, () => s.log());
    const dist = join(ROOT, 'console', 'dist');
    const serve = s.spawn(
      bin,
      ['serve', '--config', join(ROOT, 'examples', 'switchboard.yaml'), '--data-dir', join(dataDir, 'data'), '--graph-url', s.graph, '--addr', `127.0.0.1:${sp}`, '--console-dir', dist],
      {
        SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
        ACME_APP_SECRET: APP_SECRET,
        ACME_VERIFY_TOKEN: 'local-dev-verify-token-0123456789',
        ACME_PAGE_TOKEN: 'local-dev-page-token',
        SWITCHBOARD_PUBLIC_URL: s.base,
        SWITCHBOARD_LOG: process.env.E2E_SERVE_LOG ?? 'warn',
      },
    );
    await waitFor(`${s.base}/healthz`, serve, () => s.log(), true);
    return s;
  }

  /** `switchboard sample-bot` on a free port, checking signatures with `secret`; its events URL. */
  async sampleBot(secret: string): Promise<string> {
    const [port] = await freePorts(1);
    const url = `http://127.0.0.1:${port}/events`;
    const bot = this.spawn(binary(), ['sample-bot', '--addr', `127.0.0.1:${port}`, '--secret', secret], {});
    // A GET is 405 there: it is up.
    await waitFor(url, bot, () => this.log());
    return url;
  }

  private spawn(bin: string, args: string[], env: Record<string, string>): ChildProcess {
    const p = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => {
      this.logs.push(b.toString());
      if (this.logs.length > 200) this.logs.shift();
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    this.procs.push(p);
    return p;
  }

  log(): string {
    return this.logs.join('');
  }

  async stop(): Promise<void> {
    if (process.env.E2E_SERVE_LOG) process.stderr.write(this.log());
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((ok) => {
            if (p.exitCode !== null) return ok();
            p.once('exit', () => ok());
            p.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  get adminToken(): string {
    return ADMIN_TOKEN;
  }

  async agentToken(agent: string, supervisor = false): Promise<string> {
    return (await this.issueToken(agent, supervisor)).token;
  }

  async issueToken(agent: string, supervisor = false): Promise<{ token: string; token_id: string }> {
    return this.admin<{ token: string; token_id: string }>('POST', `/admin/v1/agents/${agent}/tokens`, { supervisor });
  }

  async revokeToken(agent: string, tokenId: string): Promise<void> {
    await this.admin('DELETE', `/admin/v1/agents/${agent}/tokens/${tokenId}`);
  }

  /** Set an agent's presence (as a supervisor): e.g. others offline, so offers go to one agent. */
  async presence(agent: string, status: 'available' | 'away' | 'offline'): Promise<void> {
    await this.admin('PUT', `/admin/v1/agents/${agent}/presence`, { status });
  }

  /** A customer message, signed as Meta signs it; `at` sets Meta's timestamp. */
  /** A call to the agent API as an agent (what another agent's screen would do). */
  async asAgent<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** The customer taps a quick reply (e.g. a survey score). */
  async customerTaps(psid: string, title: string, payload: string): Promise<void> {
    await this.customerSays(psid, title, Date.now(), PAGE, payload);
  }

  async customerSays(psid: string, text: string, at: number = Date.now(), page: string = PAGE, quickReply?: string): Promise<void> {
    this.seq += 1;
    const message = { mid: `m_e2e_${at}_${this.seq}_${psid}`, text, ...(quickReply ? { quick_reply: { payload: quickReply } } : {}) };
    await this.deliver({ messaging: [{ sender: { id: psid }, recipient: { id: page }, timestamp: at, message }] }, at, page);
  }

  /** Meta delivers one entry for `page`: its `messaging` and `standby` events, signed. */
  async deliver(entry: { messaging?: object[]; standby?: object[] }, at: number = Date.now(), page: string = PAGE): Promise<void> {
    const body = JSON.stringify({ object: 'page', entry: [{ id: page, time: at, ...entry }] });
    const sig = createHmac('sha256', APP_SECRET).update(body).digest('hex');
    const r = await fetch(`${this.base}/webhooks/facebook/acme`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${sig}` },
      body,
    });
    if (!r.ok) throw new Error(`webhook: ${r.status} ${await r.text()}`);
  }

  /** What the fake Graph's ID Matching API answers for app-scoped `user` (empty: Meta's "no mapping"). */
  async mapUser(user: string, ids: { page_id: string; psid: string }[]): Promise<void> {
    const r = await fetch(`${this.graph}/_fake/ids`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, ids }) });
    if (!r.ok) throw new Error(`map user: ${r.status}`);
  }

  /** Meta's data-deletion request for app-scoped `user`, signed as Meta signs it; the answer. */
  async dataDeletion(user: string): Promise<{ url: string; confirmation_code: string }> {
    const payload = Buffer.from(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: user, issued_at: Math.floor(Date.now() / 1000), expires: 0 })).toString('base64url');
    const sig = createHmac('sha256', APP_SECRET).update(payload).digest('base64url');
    const r = await fetch(`${this.base}/webhooks/facebook/acme/data-deletion`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ signed_request: `${sig}.${payload}` }).toString(),
    });
    if (!r.ok) throw new Error(`data deletion: ${r.status} ${await r.text()}`);
    return (await r.json()) as { url: string; confirmation_code: string };
  }

  /** Which app owns `psid`'s thread on the page, as the fake Graph keeps it. */
  async threadOwner(psid: string, page: string = PAGE): Promise<string> {
    const r = await fetch(`${this.graph}/v25.0/${page}/thread_owner?recipient=${psid}`, { headers: { authorization: 'Bearer e2e-look' } });
    const j = (await r.json()) as { data: { thread_owner: { app_id: string } }[] };
    return j.data[0]?.thread_owner.app_id ?? '';
  }

  /** Another app takes `psid`'s thread in the fake Graph (as if it had called take_thread_control). */
  async setThreadOwner(psid: string, app: string, page: string = PAGE): Promise<void> {
    const r = await fetch(`${this.graph}/_fake/thread_owner`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ page_id: page, psid, app_id: app }) });
    if (!r.ok) throw new Error(`set thread owner: ${r.status}`);
  }

  /** What the fake Graph received, oldest first. */
  async graphRequests(): Promise<FakeRequest[]> {
    const r = await fetch(`${this.graph}/_fake/requests`);
    const j = (await r.json()) as { requests: FakeRequest[] };
    return j.requests;
  }

  /** Messages sent to the customer through the Send API. */
  async sentMessages(): Promise<{ messaging_type?: string; tag?: string; recipient?: { id: string }; message?: { text?: string; quick_replies?: { payload: string }[] } }[]> {
    return (await this.graphRequests()).filter((q) => q.method === 'POST' && q.path.endsWith('/messages')).map((q) => q.body as never);
  }
}

export const test = base.extend<{ stack: Stack }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures take an object first
  stack: async ({}, use) => {
    const s = await Stack.start();
    try {
      await use(s);
    } finally {
      await s.stop();
    }
  },
});

export { expect } from '@playwright/test';
