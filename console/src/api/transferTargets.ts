// Who can take a conversation now (GET /agent/v1/conversations/{id}/transfer-targets).
import type { Api } from './client';
import type { AgentPaths } from './types';

export type TransferTargets =
  AgentPaths['/agent/v1/conversations/{conversation_id}/transfer-targets']['get']['responses'][200]['content']['application/json'];

export async function loadTransferTargets(api: Api, conversationId: string): Promise<TransferTargets | null> {
  const { data } = await api.agent.GET('/agent/v1/conversations/{conversation_id}/transfer-targets', {
    params: { path: { conversation_id: conversationId } },
  });
  return data ?? null;
}
