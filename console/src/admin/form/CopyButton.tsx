// Copy a value to the clipboard, saying so to screen readers; when the
// browser refuses, it says to copy by hand (the value is shown beside it).
import { useState } from 'react';
import { useI18n } from '../../i18n/i18n';

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function CopyButton({ value, what }: { value: string; what: string }) {
  const { t } = useI18n();
  const [said, setSaid] = useState('');
  return (
    <>
      <button type="button" onClick={() => void copy(value).then((ok) => setSaid(ok ? t('admin.copied', { what }) : t('admin.copyFailed')))}>
        {t('admin.copy', { what })}
      </button>
      <span className="copy-status" role="status">
        {said}
      </span>
    </>
  );
}
