// The administrator's console: a navigation of sections (each at
// /manage/<section>; /admin/ is the API), the alerts badge, and the chosen section's screen.
// Loaded on demand, so agents never download it.
import { useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { MessageKey } from '../i18n/dictionary';
import { useI18n } from '../i18n/i18n';
import { SupervisorView } from '../screens/SupervisorView';
import { AlertsBadge } from './AlertsBadge';
import { SECTIONS, pathOf, sectionFromPath, type Section } from './sections';
import { ChannelsScreen } from './channels/ChannelsScreen';
import { WorkstreamsScreen } from './workstreams/WorkstreamsScreen';
import { QueuesScreen } from './queues/QueuesScreen';
import { AgentsScreen } from './agents/AgentsScreen';
import { RoutingScreen } from './routing/RoutingScreen';
import { ConversationsScreen } from './conversations/ConversationsScreen';
import { ConfigurationScreen } from './configuration/ConfigurationScreen';
import { PrivacyScreen } from './privacy/PrivacyScreen';
import './admin.css';

function SectionScreen({ section, api }: { section: Section; api: Api }) {
  switch (section) {
    case 'overview':
      return <SupervisorView api={api} admin />;
    case 'channels':
      return <ChannelsScreen api={api} />;
    case 'workstreams':
      return <WorkstreamsScreen api={api} />;
    case 'queues':
      return <QueuesScreen api={api} />;
    case 'agents':
      return <AgentsScreen api={api} />;
    case 'routing':
      return <RoutingScreen api={api} />;
    case 'conversations':
      return <ConversationsScreen api={api} />;
    case 'privacy':
      return <PrivacyScreen api={api} />;
    case 'configuration':
      return <ConfigurationScreen api={api} />;
  }
}

export default function AdminConsole({ api }: { api: Api }) {
  const { t } = useI18n();
  const [section, setSection] = useState<Section>(() => sectionFromPath(window.location.pathname));
  useEffect(() => {
    const back = () => setSection(sectionFromPath(window.location.pathname));
    window.addEventListener('popstate', back);
    return () => window.removeEventListener('popstate', back);
  }, []);
  const go = (s: Section) => {
    setSection(s);
    if (window.location.pathname !== pathOf(s)) window.history.pushState(null, '', pathOf(s));
  };
  return (
    <div className="admin">
      <nav className="admin-nav" aria-label={t('admin.nav')}>
        <ul>
          {SECTIONS.map((s) => (
            <li key={s}>
              <a
                href={pathOf(s)}
                aria-current={s === section ? 'page' : undefined}
                onClick={(e) => {
                  if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                  e.preventDefault();
                  go(s);
                }}
              >
                {t(`admin.${s}` as MessageKey)}
              </a>
            </li>
          ))}
        </ul>
        <AlertsBadge api={api} />
      </nav>
      <div className="admin-main">
        <SectionScreen section={section} api={api} />
      </div>
    </div>
  );
}
