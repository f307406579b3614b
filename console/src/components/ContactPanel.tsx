// The customer's contact: name, email, phone and notes (editable), search
// for an existing contact to link to, and their history across pages.
import { useEffect, useState } from 'react';
import type { Api } from '../api/client';
import { problemText } from '../api/client';
import type { Contact, ConversationSummary } from '../api/types';
import { useI18n } from '../i18n/i18n';

interface Props {
  api: Api;
  conversationId: string;
  contact: Contact;
  onChanged: () => void;
}

export function ContactPanel({ api, conversationId, contact, onChanged }: Props) {
  const { t } = useI18n();
  const [form, setForm] = useState({ name: contact.name, email: contact.email ?? '', phone: contact.phone ?? '', notes: contact.notes ?? '' });
  const [message, setMessage] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Contact[] | null>(null);
  const [history, setHistory] = useState<ConversationSummary[]>([]);

  useEffect(() => {
    setForm({ name: contact.name, email: contact.email ?? '', phone: contact.phone ?? '', notes: contact.notes ?? '' });
  }, [contact]);

  useEffect(() => {
    let cancelled = false;
    void api.agent.GET('/agent/v1/contacts/{contact_id}/history', { params: { path: { contact_id: contact.id }, query: { limit: 20 } } }).then(({ data }) => {
      if (!cancelled && data) setHistory(data.conversations.filter((c) => c.id !== conversationId));
    });
    return () => {
      cancelled = true;
    };
  }, [api, contact.id, conversationId]);

  const save = async () => {
    setMessage(null);
    const { error } = await api.agent.PATCH('/agent/v1/contacts/{contact_id}', {
      params: { path: { contact_id: contact.id } },
      body: { name: form.name, email: form.email || null, phone: form.phone || null, notes: form.notes || null, version: contact.version },
    });
    setMessage(error ? problemText(error, t('error', { detail: 'contact' })) : t('saved'));
    onChanged();
  };

  const search = async () => {
    if (!q.trim()) return;
    const { data, error } = await api.agent.GET('/agent/v1/contacts', { params: { query: { q: q.trim(), limit: 10 } } });
    if (data) setFound(data.contacts.filter((c) => c.id !== contact.id));
    else setMessage(problemText(error, t('error', { detail: 'search' })));
  };

  const link = async (other: Contact) => {
    const { error } = await api.agent.PUT('/agent/v1/conversations/{conversation_id}/contact', { params: { path: { conversation_id: conversationId } }, body: { contact_id: other.id } });
    setMessage(error ? problemText(error, t('error', { detail: 'link' })) : t('saved'));
    setFound(null);
    onChanged();
  };

  const field = (key: 'name' | 'email' | 'phone', label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
    </label>
  );

  return (
    <section className="contact-panel" aria-labelledby="contact-heading">
      <h2 id="contact-heading">{t('contact')}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {field('name', t('name'))}
        {field('email', t('email'), 'email')}
        {field('phone', t('phone'), 'tel')}
        <label>
          {t('notes')}
          <textarea rows={3} value={form.notes} onChange={(e) => setForm({ ...form, notes: e.target.value })} />
        </label>
        <button type="submit">{t('save')}</button>
      </form>
      {message && <p role="status">{message}</p>}
      <form
        className="contact-search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <label>
          {t('searchContacts')}
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <button type="submit">{t('search')}</button>
      </form>
      {found && (
        <ul className="contact-results">
          {found.map((c) => (
            <li key={c.id}>
              {c.name} {c.email ? `· ${c.email}` : ''}{' '}
              <button type="button" onClick={() => void link(c)}>
                {t('linkTo', { name: c.name })}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h3>
        {t('history')} ({history.length})
      </h3>
      {history.length === 0 ? (
        <p className="empty">{t('noHistory')}</p>
      ) : (
        <ul className="history">
          {history.map((c) => (
            <li key={c.id}>
              {new Date(c.created_at).toLocaleDateString()} · {c.queue_id ?? ''} · {t(c.state === 'waiting' ? 'waitingState' : c.state)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
