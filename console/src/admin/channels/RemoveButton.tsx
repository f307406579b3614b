// A "Remove" button that first explains, in a ConfirmDialog, what removing does.
import { problemText } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { DeleteButton } from '../form/DeleteButton';

interface Props {
  label: string;
  title: string;
  consequences: string[];
  onRemove: () => Promise<{ error?: unknown }>;
  onRemoved: () => void;
}

export function RemoveButton({ label, title, consequences, onRemove, onRemoved }: Props) {
  const { t } = useI18n();
  const remove = async () => {
    const r = await onRemove().catch((e: unknown) => ({ error: e }));
    if (r.error === undefined) return null;
    return t('channels.removeFailed', { detail: problemText(r.error, t('channels.notSaved')) });
  };
  return <DeleteButton label={label} title={title} consequences={consequences} onConfirm={remove} onDone={onRemoved} />;
}
