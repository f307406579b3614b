// The canned responses matching what follows `/`, as a listbox under the reply box.
import type { CannedResponse } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { cannedText } from '../logic/canned';

interface Props {
  id: string;
  matches: CannedResponse[];
  active: number;
  onPick: (c: CannedResponse) => void;
}

export function CannedPicker({ id, matches, active, onPick }: Props) {
  const { t } = useI18n();
  if (matches.length === 0)
    return (
      <p className="canned-empty" id={id} role="status">
        {t('noCanned')}
      </p>
    );
  return (
    <ul className="canned" id={id} role="listbox" aria-label={t('cannedResponses')}>
      {matches.map((c, i) => (
        <li
          key={c.id}
          id={`${id}-${i}`}
          role="option"
          aria-selected={i === active}
          className={i === active ? 'active' : undefined}
          onMouseDown={(e) => {
            e.preventDefault();
            onPick(c);
          }}
        >
          <strong>/{c.shortcut}</strong> {c.title} <span className="canned-preview">{cannedText(c)}</span>
        </li>
      ))}
    </ul>
  );
}
