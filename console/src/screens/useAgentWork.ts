// The agent's working state: their conversations (the server is the truth),
// details of offers and of the open conversation, unread counts and presence,
// refreshed from the live feed.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api } from '../api/client';
import type { AgentEvent, ConversationDetail, ConversationSummary, Presence } from '../api/types';
import type { ConsoleConfig } from '../auth/config';
import { EventFeed, type FeedStatus } from '../realtime/feed';

export interface AgentWork {
  conversations: ConversationSummary[];
  details: Record<string, ConversationDetail>;
  unread: Record<string, number>;
  presence: Presence | null;
  feedStatus: FeedStatus;
  openId: string | null;
  setOpenId: (id: string | null) => void;
  refreshList: () => Promise<void>;
  refreshDetail: (id: string) => Promise<void>;
  setPresence: (p: Presence) => void;
  /** The last offer event that arrived (to announce). */
  lastOffer: { id: string; at: number } | null;
  /** Conversations taken back from this agent unanswered, newest last, until dismissed. */
  takenBack: TakenBack[];
  dismissTakenBack: (id: string) => void;
}

/**
 * A conversation taken from the agent: accepted and not answered in time
 * (`reclaimed`), or held while they were away too long (`handed_off`).
 */
export interface TakenBack {
  id: string;
  why: 'reclaimed' | 'handed_off';
  /** The customer's name, when the console had read it. */
  name: string | null;
  afterSeconds: number | null;
}

export function useAgentWork(api: Api, config: ConsoleConfig, token: string, onUnauthenticated: () => void): AgentWork {
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [details, setDetails] = useState<Record<string, ConversationDetail>>({});
  const [unread, setUnread] = useState<Record<string, number>>({});
  const [presence, setPresence] = useState<Presence | null>(null);
  const [feedStatus, setFeedStatus] = useState<FeedStatus>('connecting');
  const [takenBack, setTakenBack] = useState<TakenBack[]>([]);
  // A few seconds' slack for the server's clock.
  const openedAt = useRef(Date.now() - 10_000);
  const detailsRef = useRef(details);
  useEffect(() => {
    detailsRef.current = details;
  }, [details]);
  const dismissTakenBack = useCallback((id: string) => setTakenBack((l) => l.filter((x) => x.id !== id)), []);
  const [openId, setOpenIdState] = useState<string | null>(null);
  const [lastOffer, setLastOffer] = useState<{ id: string; at: number } | null>(null);
  const openRef = useRef<string | null>(null);
  const knownRef = useRef(new Set<string>());
  const tokenRef = useRef(token);
  useEffect(() => {
    tokenRef.current = token;
  }, [token]);

  // The feed tells of failed sends, not of successful ones: while the open
  // conversation has a queued message, look again (0.3 s, doubling, 6 times).
  const followRef = useRef<{ id: string; tries: number; timer: ReturnType<typeof setTimeout> | null }>({ id: '', tries: 0, timer: null });
  const refreshDetail = useCallback(
    async (id: string): Promise<void> => {
      const { data } = await api.agent.GET('/agent/v1/conversations/{conversation_id}', { params: { path: { conversation_id: id } } });
      if (!data) return;
      knownRef.current.add(id);
      setDetails((d) => ({ ...d, [id]: data }));
      const follow = followRef.current;
      if (id !== openRef.current) return;
      if (follow.id !== id) {
        if (follow.timer) clearTimeout(follow.timer);
        followRef.current = { id, tries: 0, timer: null };
      }
      const f = followRef.current;
      if (data.transcript.some((e) => e.status === 'queued') && f.tries < 6 && !f.timer) {
        f.timer = setTimeout(() => {
          f.timer = null;
          f.tries += 1;
          void refreshDetailRef.current(id);
        }, 300 * 2 ** f.tries);
      } else if (!data.transcript.some((e) => e.status === 'queued')) f.tries = 0;
    },
    [api],
  );
  const refreshDetailRef = useRef(refreshDetail);
  useEffect(() => {
    refreshDetailRef.current = refreshDetail;
  }, [refreshDetail]);

  const refreshList = useCallback(async () => {
    const { data } = await api.agent.GET('/agent/v1/conversations', { params: { query: { limit: 200 } } });
    if (!data) return;
    setConversations(data.conversations);
    for (const c of data.conversations) if (c.state === 'offered' || !knownRef.current.has(c.id)) void refreshDetail(c.id);
  }, [api, refreshDetail]);

  const refreshPresence = useCallback(async () => {
    const { data } = await api.agent.GET('/agent/v1/presence');
    if (data) setPresence(data);
  }, [api]);

  const setOpenId = useCallback(
    (id: string | null) => {
      openRef.current = id;
      setOpenIdState(id);
      if (id) {
        setUnread((u) => ({ ...u, [id]: 0 }));
        void refreshDetail(id);
      }
    },
    [refreshDetail],
  );

  // The feed: every event refreshes what it concerns.
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | null = null;
    const soon = () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        void refreshList();
        void refreshPresence();
      }, 50);
    };
    const onEvent = (e: AgentEvent) => {
      const cid = e.conversation_id ?? null;
      if (e.type === 'offer' && cid) setLastOffer({ id: cid, at: Date.now() });
      if (cid && (e.type === 'message' || e.type === 'page_inbox_message') && cid !== openRef.current)
        setUnread((u) => ({ ...u, [cid]: (u[cid] ?? 0) + 1 }));
      // Only what happened while this console is open (a feed read from its
      // start would bring back older notices on every reload).
      if (cid && (e.type === 'reclaimed' || e.type === 'handed_off') && Date.parse(e.at) >= openedAt.current) {
        const why = e.type;
        const after = (e.data as { after_seconds?: unknown } | undefined)?.after_seconds;
        const name = detailsRef.current[cid]?.contact.name ?? null;
        setTakenBack((l) => [...l.filter((x) => x.id !== cid), { id: cid, why, name, afterSeconds: typeof after === 'number' ? after : null }]);
      }
      if (cid && cid === openRef.current && (e.type === 'transferred' || e.type === 'reclaimed' || e.type === 'handed_off')) {
        // Moved elsewhere (by a supervisor, or taken back): not this agent's to show.
        openRef.current = null;
        setOpenIdState(null);
      } else if (cid && cid === openRef.current) void refreshDetail(cid);
      soon();
    };
    const feed = new EventFeed({
      apiUrl: config.api_url,
      wsUrl: config.ws_url,
      flavour: config.auth.kind === 'cognito' ? 'aws' : 'serve',
      token: () => tokenRef.current,
      onEvent,
      onStatus: setFeedStatus,
      onConnected: () => {
        soon();
        if (openRef.current) void refreshDetail(openRef.current);
      },
      onUnauthenticated,
    });
    feed.start();
    (window as unknown as { __switchboardFeed?: EventFeed }).__switchboardFeed = feed;
    return () => {
      if (pending) clearTimeout(pending);
      feed.stop();
    };
  }, [config, refreshList, refreshPresence, refreshDetail, onUnauthenticated]);

  useEffect(() => {
    void refreshList();
    void refreshPresence();
  }, [refreshList, refreshPresence]);

  return { conversations, details, unread, presence, feedStatus, openId, setOpenId, refreshList, refreshDetail, setPresence, lastOffer, takenBack, dismissTakenBack };
}
