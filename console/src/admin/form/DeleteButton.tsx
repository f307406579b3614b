// A danger button that first explains, in a ConfirmDialog, what deleting
// does; when the delete fails the dialog stays open and says why.
import { useState } from 'react';
import { ConfirmDialog } from './ConfirmDialog';

interface Props {
  label: string;
  title: string;
  consequences: string[];
  /** The dialog's button; the button's own label when left out. */
  confirmLabel?: string;
  /** Deletes; resolves to what went wrong, or null when it is gone. */
  onConfirm: () => Promise<string | null>;
  /** Called once the delete succeeded. */
  onDone: () => void;
}

export function DeleteButton({ label, title, consequences, confirmLabel, onConfirm, onDone }: Props) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    const failed = await onConfirm();
    setBusy(false);
    setError(failed);
    if (failed !== null) return;
    setOpen(false);
    onDone();
  };
  return (
    <>
      <button type="button" className="danger" onClick={() => (setError(null), setOpen(true))}>
        {label}
      </button>
      {open && (
        <ConfirmDialog
          title={title}
          consequences={consequences}
          confirmLabel={confirmLabel ?? label}
          busy={busy}
          error={error}
          onConfirm={() => void confirm()}
          onCancel={() => (setOpen(false), setError(null))}
        />
      )}
    </>
  );
}
