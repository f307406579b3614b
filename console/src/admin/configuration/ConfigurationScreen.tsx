// The configuration section: configuration as code from the browser
// (download the file; upload one, see the dry-run diff, apply it).
import type { Api } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { DownloadConfiguration } from './DownloadConfiguration';
import { UploadConfiguration } from './UploadConfiguration';
import './configuration.css';

export function ConfigurationScreen({ api }: { api: Api }) {
  const { t } = useI18n();
  return (
    <main className="admin-configuration">
      <h1>{t('config.title')}</h1>
      <p>{t('config.intro')}</p>
      <DownloadConfiguration api={api} />
      <UploadConfiguration api={api} />
    </main>
  );
}
