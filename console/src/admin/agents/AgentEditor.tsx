// One agent, new or existing: the form, and for an existing agent its
// presence, sign-in, tokens and deletion.
import { useState } from 'react';
import type { Api } from '../../api/client';
import type { AdminSchemas } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { DeleteButton } from '../form/DeleteButton';
import { failureOf } from '../form/failureOf';
import { AgentForm } from './AgentForm';
import { type Agent, type Draft } from './model';
import { PresencePanel } from './PresencePanel';
import { SignInPanel } from './SignInPanel';
import { TokensPanel } from './TokensPanel';
import { useAuthKind } from './useAuthKind';

interface Props {
  api: Api;
  agent: Agent | null;
  draft: Draft;
  queues: AdminSchemas['Queue'][];
  onDraft: (d: Draft) => void;
  onSaved: (a: Agent) => void;
  onDeleted: () => void;
  onClose: () => void;
}

export function AgentEditor({ api, agent, draft, queues, onDraft, onSaved, onDeleted, onClose }: Props) {
  const { t } = useI18n();
  const [issued, setIssued] = useState(0);
  const auth = useAuthKind();
  const remove = async (a: Agent) => {
    const r = await api.admin.DELETE('/admin/v1/agents/{agent_id}', { params: { path: { agent_id: a.id } } });
    return failureOf(r, t('agents.deleteFailed'));
  };
  return (
    <section className="agent-editor" aria-labelledby="agent-editor-heading">
      <div className="editor-head">
        <h2 id="agent-editor-heading">{agent ? t('agents.editTitle', { name: agent.name }) : t('agents.newTitle')}</h2>
        <button type="button" onClick={onClose}>
          {t('agents.close')}
        </button>
      </div>
      <AgentForm api={api} agent={agent} draft={draft} queues={queues} onDraft={onDraft} onSaved={onSaved} />
      {agent && (
        <>
          <PresencePanel key={`p-${agent.id}`} api={api} agentId={agent.id} initial={agent.presence} />
          {auth && <SignInPanel api={api} auth={auth} agentId={agent.id} email={agent.email} onIssued={() => setIssued((n) => n + 1)} />}
          {/* In AWS the user pool holds the sessions: no Switchboard tokens to list. */}
          {auth === 'token' && <TokensPanel api={api} agentId={agent.id} refresh={issued} />}
          <section className="agent-panel">
            <DeleteButton
              label={t('agents.delete')}
              title={t('agents.deleteTitle', { name: agent.name })}
              consequences={[t('agents.deleteTokens'), t('agents.deleteHeld'), t('agents.deleteHistory')]}
              confirmLabel={t('agents.confirmDelete')}
              onConfirm={() => remove(agent)}
              onDone={onDeleted}
            />
          </section>
        </>
      )}
    </section>
  );
}
