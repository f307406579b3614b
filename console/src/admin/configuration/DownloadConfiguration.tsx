// The "Download configuration" button: the export as switchboard.yaml, made
// by the server (GET /admin/v1/export?format=yaml), saved through a link.
import { useState } from 'react';
import type { Api } from '../../api/client';
import { problemText } from '../../api/client';
import { useI18n } from '../../i18n/i18n';

function save(text: string, name: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function DownloadConfiguration({ api }: { api: Api }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);
  const download = async () => {
    setBusy(true);
    setSaid(null);
    try {
      const { data, error } = await api.admin.GET('/admin/v1/export', { params: { query: { format: 'yaml' } }, parseAs: 'text' });
      if (error !== undefined || typeof data !== 'string') {
        setSaid({ ok: false, text: t('config.downloadFailed', { detail: problemText(error, t('config.unreadable')) }) });
      } else {
        save(data, 'switchboard.yaml');
        setSaid({ ok: true, text: t('config.downloaded') });
      }
    } catch (e) {
      setSaid({ ok: false, text: t('config.downloadFailed', { detail: String(e) }) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="config-download" aria-labelledby="config-download-title">
      <h2 id="config-download-title">{t('config.downloadTitle')}</h2>
      <p className="help">{t('config.downloadHint')}</p>
      <button type="button" onClick={() => void download()} disabled={busy}>
        {busy ? t('config.downloading') : t('config.download')}
      </button>
      <p role="status" className={said && !said.ok ? 'error' : undefined}>
        {said?.text}
      </p>
    </section>
  );
}
