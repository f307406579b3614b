// The workstream editor's draft: what the administrator typed, kept as typed
// (numbers as text), and the API body made from it. Values go as typed and
// the API says what is wrong with them; only the optional auto-close and
// capacity profile are left out when empty.
import type { AdminSchemas } from '../../api/types';

export type Workstream = AdminSchemas['Workstream'];
export type NewWorkstream = AdminSchemas['NewWorkstream'];
export type Distribution = AdminSchemas['Distribution'];
export type AutomatedMessage = AdminSchemas['AutomatedMessage'];
export type Trigger = AutomatedMessage['trigger'];
export type BasePresence = NonNullable<Distribution['allowed_presences']>[number];

export const TRIGGERS: readonly Trigger[] = ['first_contact', 'queued', 'assigned', 'transferred', 'out_of_hours', 'ended', 'closed_inactive', 'attachments_not_supported'];
export const PRESENCES: readonly BasePresence[] = ['available', 'busy', 'away', 'offline'];

export interface MessageDraft {
  key: number;
  trigger: Trigger;
  /** '' for every language. */
  locale: string;
  text: string;
}

export interface Draft {
  id: string;
  name: string;
  pages: string[];
  locale: string;
  customerAttachments: boolean;
  agentAttachments: boolean;
  humanAgentTag: boolean;
  mode: 'push' | 'pick';
  capacityUnits: string;
  capacityProfile: string;
  allowedPresences: BasePresence[];
  skillMatching: 'exact' | 'closest' | 'none';
  fallbackQueue: string;
  affinityEnabled: boolean;
  affinityWait: string;
  offerTimeout: string;
  maxDeclines: string;
  autoClose: string;
  firstResponseAlert: string;
  reclaimAfter: string;
  handoffAfter: string;
  /** 'never', 'always' or 'seconds' (then wrapUpSeconds). */
  wrapUp: 'never' | 'always' | 'seconds';
  wrapUpSeconds: string;
  urgentBefore: string;
  messages: MessageDraft[];
  surveyOn: boolean;
  surveyQuestion: string;
  surveyLink: string;
  surveyThanks: string;
  botOn: boolean;
  /** Whether the stored workstream has a bot (its secret is kept when none is typed). */
  botStored: boolean;
  botUrl: string;
  /** Write-only: '' keeps the stored secret. */
  botSecret: string;
  botTimeoutMs: string;
  botMaxFailures: string;
  botAnswerWithin: string;
  botGreeting: string;
  botSurveyQuestion: string;
  /** Days after the close the transcript is kept ('' for ever). */
  retentionTranscripts: string;
  /** Days after the close Meta's raw payloads are kept ('' for ever). */
  retentionRaw: string;
}

const text = (n: number | undefined | null): string => (n === undefined || n === null ? '' : String(n));

let nextKey = 1;
export const messageKey = (): number => nextKey++;

/** A new workstream's draft: the API's defaults. */
export function emptyDraft(): Draft {
  return fromWorkstream(null);
}

export function fromWorkstream(w: Workstream | null): Draft {
  const d: Partial<Distribution> = w?.distribution ?? {};
  const wrap = d.wrap_up;
  return {
    id: w?.id ?? '',
    name: w?.name ?? '',
    pages: [...(w?.pages ?? [])],
    locale: w?.locale ?? '',
    customerAttachments: w?.features.customer_attachments ?? true,
    agentAttachments: w?.features.agent_attachments ?? true,
    humanAgentTag: w?.features.human_agent_tag ?? false,
    mode: d.mode ?? 'push',
    capacityUnits: w ? text(d.capacity?.units ?? 1) : '1',
    capacityProfile: d.capacity?.profile ?? '',
    allowedPresences: [...(d.allowed_presences ?? ['available', 'busy'])],
    skillMatching: d.skill_matching ?? 'exact',
    fallbackQueue: d.fallback_queue ?? '',
    affinityEnabled: d.affinity?.enabled ?? false,
    affinityWait: text(d.affinity?.wait_seconds ?? 60),
    offerTimeout: text(d.offer_timeout_seconds ?? 120),
    maxDeclines: text(d.max_declines ?? 1),
    autoClose: text(d.auto_close_after_seconds),
    firstResponseAlert: text(d.first_response_alert_seconds),
    reclaimAfter: text(d.reclaim_after_seconds),
    handoffAfter: text(d.handoff_after_seconds),
    wrapUp: typeof wrap === 'object' && wrap !== null ? 'seconds' : (wrap ?? 'never'),
    wrapUpSeconds: typeof wrap === 'object' && wrap !== null ? text(wrap.seconds) : '',
    urgentBefore: text(d.urgent_before_seconds ?? 7200),
    messages: (w?.automated_messages ?? []).map((m) => ({ key: messageKey(), trigger: m.trigger, locale: m.locale ?? '', text: m.text })),
    surveyOn: Boolean(w?.survey),
    surveyQuestion: w?.survey?.question ?? '',
    surveyLink: w?.survey?.link ?? '',
    surveyThanks: w?.survey?.thanks ?? '',
    botOn: Boolean(w?.bot),
    botStored: Boolean(w?.bot),
    botUrl: w?.bot?.url ?? '',
    botSecret: '',
    botTimeoutMs: text(w?.bot?.timeout_ms ?? 5000),
    botMaxFailures: text(w?.bot?.max_failures ?? 3),
    botAnswerWithin: text(w?.bot?.answer_within_seconds ?? 300),
    botGreeting: w?.bot?.greeting ?? '',
    botSurveyQuestion: w?.bot?.survey?.question ?? '',
    retentionTranscripts: text(w?.retention?.transcripts_days),
    retentionRaw: text(w?.retention?.raw_payload_days),
  };
}

/** A typed number, or undefined when empty. */
function num(s: string): number | undefined {
  const t = s.trim();
  return t === '' ? undefined : Number(t);
}

/** A number the API needs: what is not one (or nothing) goes as null (JSON has no NaN), and the API says why. */
function req(s: string): number {
  return num(s) ?? NaN;
}

export function distributionOf(d: Draft): Distribution {
  const wrap: Distribution['wrap_up'] = d.wrapUp === 'seconds' ? { seconds: req(d.wrapUpSeconds) } : d.wrapUp;
  return {
    mode: d.mode,
    capacity: { units: req(d.capacityUnits), ...(d.capacityProfile.trim() ? { profile: d.capacityProfile.trim() } : {}) },
    allowed_presences: d.allowedPresences,
    skill_matching: d.skillMatching,
    ...(d.fallbackQueue ? { fallback_queue: d.fallbackQueue } : {}),
    affinity: { enabled: d.affinityEnabled, wait_seconds: req(d.affinityWait) },
    offer_timeout_seconds: req(d.offerTimeout),
    max_declines: req(d.maxDeclines),
    ...(num(d.autoClose) !== undefined ? { auto_close_after_seconds: num(d.autoClose) } : {}),
    ...(num(d.firstResponseAlert) !== undefined ? { first_response_alert_seconds: num(d.firstResponseAlert) } : {}),
    ...(num(d.reclaimAfter) !== undefined ? { reclaim_after_seconds: num(d.reclaimAfter) } : {}),
    ...(num(d.handoffAfter) !== undefined ? { handoff_after_seconds: num(d.handoffAfter) } : {}),
    wrap_up: wrap,
    urgent_before_seconds: req(d.urgentBefore),
  };
}

export function messagesOf(d: Draft): AutomatedMessage[] {
  return d.messages.map((m) => ({ trigger: m.trigger, ...(m.locale.trim() ? { locale: m.locale.trim() } : {}), text: m.text }));
}

export function surveyOf(d: Draft): AdminSchemas['Survey'] | null {
  if (!d.surveyOn) return null;
  return {
    question: d.surveyQuestion,
    ...(d.surveyLink.trim() ? { link: d.surveyLink.trim() } : {}),
    ...(d.surveyThanks.trim() ? { thanks: d.surveyThanks } : {}),
  };
}

/** The bot as the API takes it, or null when the workstream has none. */
export function botOf(d: Draft): AdminSchemas['Bot'] | null {
  if (!d.botOn) return null;
  return {
    url: d.botUrl.trim(),
    ...(d.botSecret ? { secret: d.botSecret } : {}),
    timeout_ms: req(d.botTimeoutMs),
    max_failures: req(d.botMaxFailures),
    answer_within_seconds: req(d.botAnswerWithin),
    ...(d.botGreeting.trim() ? { greeting: d.botGreeting } : {}),
    ...(d.botSurveyQuestion.trim() ? { survey: { question: d.botSurveyQuestion } } : {}),
  };
}

/** The retention limits as the API takes them ({} keeps everything). */
export function retentionOf(d: Draft): AdminSchemas['Retention'] {
  const t = num(d.retentionTranscripts);
  const r = num(d.retentionRaw);
  return {
    ...(t !== undefined ? { transcripts_days: req(d.retentionTranscripts) } : {}),
    ...(r !== undefined ? { raw_payload_days: req(d.retentionRaw) } : {}),
  };
}

/** The body of POST /admin/v1/workstreams. */
export function newWorkstreamOf(d: Draft): NewWorkstream {
  const survey = surveyOf(d);
  const bot = botOf(d);
  return {
    ...(d.id.trim() ? { id: d.id.trim() } : {}),
    name: d.name,
    pages: d.pages,
    locale: d.locale.trim(),
    features: { customer_attachments: d.customerAttachments, agent_attachments: d.agentAttachments, human_agent_tag: d.humanAgentTag },
    distribution: distributionOf(d),
    automated_messages: messagesOf(d),
    ...(survey ? { survey } : {}),
    ...(bot ? { bot } : {}),
    retention: retentionOf(d),
  };
}

/** The body of PATCH /admin/v1/workstreams/{id}: every field (the id is fixed). */
export function patchOf(d: Draft): AdminSchemas['WorkstreamPatch'] {
  const { id: _id, survey, bot, ...rest } = newWorkstreamOf(d);
  void _id;
  return { ...rest, survey: survey ?? null, bot: bot ?? null };
}

/** The form's fields a problem may concern (see formProblem). */
export const WS_FIELDS = [
  'name',
  'id',
  'pages',
  'page',
  'locale',
  'units',
  'capacity',
  'allowed_presences',
  'fallback_queue',
  'wait_seconds',
  'offer_timeout_seconds',
  'max_declines',
  'auto_close_after_seconds',
  'first_response_alert_seconds',
  'reclaim_after_seconds',
  'handoff_after_seconds',
  'wrap_up',
  'seconds',
  'urgent_before_seconds',
  'mode',
  'messages',
  'survey',
  'bot',
  'retention',
] as const;
