// Names for the generated API types (src/generated, from docs/*.yaml): aliases, never copies.
import type { components as AgentComponents, paths as AgentPaths } from '../generated/agent-api';
import type { components as AdminComponents, paths as AdminPaths } from '../generated/admin-api';

type AgentSchemas = AgentComponents['schemas'];
export type { AgentPaths, AdminPaths };
export type ConversationSummary = AgentSchemas['ConversationSummary'];
export type TranscriptEntry = AgentSchemas['TranscriptEntry'];
export type ReplyWindow = AgentSchemas['ReplyWindow'];
export type AgentEvent = AgentSchemas['AgentEvent'];
export type Contact = AgentSchemas['Contact'];
export type Presence = AgentSchemas['Presence'];
export type BasePresence = AgentSchemas['BasePresence'];
export type Problem = AgentSchemas['Problem'];
export type ConversationDetail =
  AgentPaths['/agent/v1/conversations/{conversation_id}']['get']['responses'][200]['content']['application/json'];
export type CannedResponse =
  AgentPaths['/agent/v1/canned-responses']['get']['responses'][200]['content']['application/json']['canned_responses'][number];
export type AdminSchemas = AdminComponents['schemas'];
