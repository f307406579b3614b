// The workstream editor's draft becomes the API's body as typed, and a
// workstream read back becomes the same draft.
import { describe, expect, it } from 'vitest';
import { emptyDraft, fromWorkstream, newWorkstreamOf, patchOf, type Workstream } from './draft';
import { wsProblem } from './wsProblem';

const ws: Workstream = {
  id: 'support',
  name: 'Support',
  pages: ['104857600000001'],
  locale: 'da',
  features: { customer_attachments: false, agent_attachments: true, human_agent_tag: true },
  distribution: {
    mode: 'push',
    capacity: { units: 2, profile: 'messaging' },
    allowed_presences: ['available'],
    skill_matching: 'closest',
    fallback_queue: 'general',
    affinity: { enabled: true, wait_seconds: 30 },
    offer_timeout_seconds: 60,
    max_declines: 2,
    auto_close_after_seconds: 86400,
    wrap_up: { seconds: 90 },
    urgent_before_seconds: 3600,
  },
  automated_messages: [{ trigger: 'queued', locale: 'da', text: 'Du er i {QueueName}.' }, { trigger: 'ended', text: 'Tak.' }],
  survey: { question: 'Hvordan gik det?', thanks: 'Tak!' },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('workstream draft', () => {
  it('round-trips every field', () => {
    const body = patchOf(fromWorkstream(ws));
    expect(body).toEqual({
      name: ws.name,
      pages: ws.pages,
      locale: ws.locale,
      features: ws.features,
      distribution: ws.distribution,
      automated_messages: ws.automated_messages,
      survey: ws.survey,
      bot: null,
      retention: {},
    });
  });

  it('sends retention limits as typed, none as {} (kept for ever)', () => {
    const d = fromWorkstream({ ...ws, retention: { transcripts_days: 30, raw_payload_days: 7 } });
    expect(patchOf(d).retention).toEqual({ transcripts_days: 30, raw_payload_days: 7 });
    expect(patchOf({ ...d, retentionRaw: ' ' }).retention).toEqual({ transcripts_days: 30 });
    expect(wsProblem({ code: 'invalid_retention', detail: 'retention.transcripts_days is 1 to 3650 days' }, 'x').field).toBe('retention');
  });

  it('keeps a stored bot secret unless a new one is typed, and turning the bot off removes it', () => {
    const withBot: Workstream = { ...ws, bot: { url: 'https://bot.example/events', secret_ref: 'switchboard/workstreams/support/bot', timeout_ms: 2000, max_failures: 2, answer_within_seconds: 60, greeting: 'Hi!' } };
    const d = fromWorkstream(withBot);
    expect(patchOf(d).bot).toEqual({ url: 'https://bot.example/events', timeout_ms: 2000, max_failures: 2, answer_within_seconds: 60, greeting: 'Hi!' });
    expect(patchOf({ ...d, botSecret: 'a-new-secret-0123456789' }).bot).toMatchObject({ secret: 'a-new-secret-0123456789' });
    expect(patchOf({ ...d, botOn: false }).bot).toBeNull();
    expect(newWorkstreamOf({ ...emptyDraft(), name: 'X', locale: 'en' }).bot).toBeUndefined();
    expect(wsProblem({ code: 'invalid_bot', detail: 'url must be https' }, 'x').field).toBe('bot');
  });

  it('a new draft carries the API defaults; the id is left to the API when empty', () => {
    const d = { ...emptyDraft(), name: 'Dansk', locale: 'da' };
    const body = newWorkstreamOf(d);
    expect(body.id).toBeUndefined();
    expect(body.features).toEqual({ customer_attachments: true, agent_attachments: true, human_agent_tag: false });
    expect(body.distribution).toMatchObject({ mode: 'push', capacity: { units: 1 }, allowed_presences: ['available', 'busy'], offer_timeout_seconds: 120, max_declines: 1, wrap_up: 'never' });
    expect(body.distribution?.auto_close_after_seconds).toBeUndefined();
    expect(body.survey).toBeUndefined();
    expect(patchOf(d).survey).toBeNull();
  });

  it('sends what was typed, so the API refuses it: -1 as -1, text as null', () => {
    const d = { ...emptyDraft(), capacityUnits: '-1', maxDeclines: 'two' };
    const body = JSON.parse(JSON.stringify(newWorkstreamOf(d))) as { distribution: { capacity: { units: number }; max_declines: unknown } };
    expect(body.distribution.capacity.units).toBe(-1);
    expect(body.distribution.max_declines).toBeNull();
  });

  it('places the API problem beside the right field', () => {
    expect(wsProblem({ code: 'invalid_body', detail: 'the request body is not what this route takes: distribution.capacity.units: invalid value: integer `-1`, expected u32' }, 'x').field).toBe('capacity');
    expect(wsProblem({ code: 'invalid_distribution', detail: 'offer_timeout_seconds must be 10 to 3600' }, 'x').field).toBe('offer_timeout_seconds');
    expect(wsProblem({ code: 'invalid_messages', detail: 'the survey question needs 1 to 640 characters' }, 'x').field).toBe('survey');
    expect(wsProblem({ code: 'conflict', detail: 'page 1 feeds workstream support; a page feeds at most one workstream' }, 'x').field).toBe('pages');
    expect(wsProblem({ code: 'invalid_name', detail: 'name must be 1 to 200 characters' }, 'x').field).toBe('name');
  });
});
