// Ask before something that cannot be undone, listing what will happen.
import { useEffect, useId, useRef } from 'react';
import { useI18n } from '../../i18n/i18n';
import { ErrorLine } from './ErrorLine';

interface Props {
  title: string;
  /** What happens, one sentence each. */
  consequences: string[];
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, consequences, confirmLabel, busy, error, onConfirm, onCancel }: Props) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal?.();
  }, []);
  return (
    <dialog ref={ref} className="confirm-dialog" aria-labelledby={titleId} onCancel={onCancel}>
      <h2 id={titleId}>{title}</h2>
      <ul className="consequences">
        {consequences.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <ErrorLine>{error}</ErrorLine>
      <div className="dialog-actions">
        <button type="button" className="danger" disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel}>
          {t('admin.cancel')}
        </button>
      </div>
    </dialog>
  );
}
