// The agent's workspace: presence, offers, the inbox, the open conversation
// and its contact, all live.
import { useEffect, useRef, useState } from 'react';
import type { Api } from '../api/client';
import type { ConsoleConfig } from '../auth/config';
import type { Identity, Session } from '../auth/session';
import { useI18n } from '../i18n/i18n';
import { useAgentWork } from './useAgentWork';
import { PresenceSelector } from '../components/PresenceSelector';
import { OfferCard } from '../components/OfferCard';
import { Inbox } from '../components/Inbox';
import { ConversationView } from '../components/ConversationView';
import { ContactPanel } from '../components/ContactPanel';
import { ConnectionBar } from '../components/ConnectionBar';
import { TakenBackNotice } from '../components/TakenBackNotice';
import { OfferAlerts, useOfferAlertsOptIn } from '../components/OfferAlerts';

interface Props {
  api: Api;
  config: ConsoleConfig;
  session: Session;
  identity: Extract<Identity, { kind: 'agent' }>;
  onUnauthenticated: () => void;
}

export function AgentWorkspace({ api, config, session, identity, onUnauthenticated }: Props) {
  const { t } = useI18n();
  const work = useAgentWork(api, config, session.token, onUnauthenticated);
  const [announcement, setAnnouncement] = useState('');
  const [alertsOn, setAlertsOn] = useOfferAlertsOptIn();
  const offers = work.conversations.filter((c) => c.state === 'offered');
  const open = work.openId ? work.details[work.openId] : undefined;
  const openSummary = work.conversations.find((c) => c.id === work.openId);
  const announced = useRef<string | null>(null);

  // New offers are announced politely (and, opted in, notified when hidden).
  const newest = work.lastOffer ? work.details[work.lastOffer.id] : undefined;
  useEffect(() => {
    if (!work.lastOffer || !newest) return;
    const key = `${work.lastOffer.id}:${work.lastOffer.at}`;
    if (announced.current === key) return;
    announced.current = key;
    const first = newest.transcript.find((e) => e.from === 'customer')?.text ?? '';
    setAnnouncement(t('newOffer', { name: newest.contact.name, text: first }));
  }, [work.lastOffer, newest, t]);

  // Conversations taken away are announced too (the notice stays on screen).
  const latestTaken = work.takenBack.at(-1);
  useEffect(() => {
    if (!latestTaken) return;
    const name = latestTaken.name ?? latestTaken.id;
    setAnnouncement(t(latestTaken.why === 'handed_off' ? 'handedOffAnnounce' : 'takenBackAnnounce', { name }));
  }, [latestTaken, t]);

  return (
    <>
      <ConnectionBar status={work.feedStatus} />
      <TakenBackNotice items={work.takenBack} onDismiss={work.dismissTakenBack} />
      <div className="workspace">
        <aside className="left" aria-label={t('inbox')}>
          <PresenceSelector api={api} presence={work.presence} onChange={work.setPresence} />
          <OfferAlerts enabled={alertsOn} onToggle={setAlertsOn} lastOffer={work.lastOffer} details={work.details} />
          <section aria-labelledby="offers-heading" className="offers">
            <h2 id="offers-heading">
              {t('offers')} ({offers.length})
            </h2>
            {offers.length === 0 && (
              <p className="empty">{t('noOffers', { presence: t(work.presence?.effective ?? 'offline') })}</p>
            )}
            {offers.map((c, i) => (
              <OfferCard
                key={c.id}
                first={i === 0}
                api={api}
                summary={c}
                detail={work.details[c.id]}
                onAccepted={() => {
                  void work.refreshList();
                  work.setOpenId(c.id);
                }}
                onDeclined={() => void work.refreshList()}
              />
            ))}
          </section>
          <Inbox
            conversations={work.conversations}
            names={Object.fromEntries(Object.entries(work.details).map(([id, d]) => [id, d.contact.name]))}
            unread={work.unread}
            openId={work.openId}
            onOpen={(id) => {
              // Opening reads the conversation and the list again (their windows too).
              work.setOpenId(id);
              void work.refreshList();
            }}
            onWindowPassed={() => void work.refreshList()}
          />
        </aside>
        <main className="centre">
          {open ? (
            <ConversationView
              key={open.id}
              api={api}
              agentId={identity.agentId}
              // The window is the detail's: read again with it (on events, on opening, when it passes).
              detail={openSummary ? { ...open, ...openSummary, reply_window: open.reply_window } : open}
              readOnly={false}
              onGone={() => work.setOpenId(null)}
              onChanged={() => {
                void work.refreshList();
                if (work.openId) void work.refreshDetail(work.openId);
              }}
            />
          ) : (
            <p className="empty pick">{t('pickConversation')}</p>
          )}
        </main>
        <aside className="right" aria-label={t('contact')}>
          {open && <ContactPanel key={open.id} api={api} conversationId={open.id} contact={open.contact} onChanged={() => work.openId && void work.refreshDetail(work.openId)} />}
        </aside>
      </div>
      <div className="visually-hidden" aria-live="polite" role="status">
        {announcement}
      </div>
    </>
  );
}
