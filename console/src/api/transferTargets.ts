// Who can take a conversation now (GET /agent/v1/conversations/{id}/transfer-targets).
import type { Api } from './client';
import type { AgentPaths } from './types';

type Op = AgentPaths extends Record<'/agent/v1/conversations/{conversation_id}/transfer-targets', infer P> ? P : never;
type Answer = Op extends { get: { responses: { 200: { content: { 'application/json': infer J } } } } } ? J : never;

export type TransferTargets = Answer & { unavailable?: boolean };

export async function loadTransferTargets(api: Api, conversationId: string): Promise<TransferTargets> {
  const { data } = await api.agent.GET('/agent/v1/conversations/{conversation_id}/transfer-targets', {
    params: { path: { conversation_id: conversationId } },
  });
  if (data) return data;
  return { queues: [], agents: [], unavailable: true } as unknown as TransferTargets;
}
