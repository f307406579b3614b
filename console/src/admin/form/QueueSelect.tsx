// A drop-down of queues (by name, optionally with the id) with an empty
// first choice; the control's id and descriptions come from its Field.
import type { ControlProps } from './Field';

interface Props {
  control: ControlProps;
  queues: readonly { id: string; name: string }[];
  value: string;
  /** The empty choice's text. */
  none: string;
  withIds?: boolean;
  onChange: (queue: string) => void;
}

export function QueueSelect({ control, queues, value, none, withIds, onChange }: Props) {
  return (
    <select {...control} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{none}</option>
      {queues.map((q) => (
        <option key={q.id} value={q.id}>
          {withIds ? `${q.name} (${q.id})` : q.name}
        </option>
      ))}
    </select>
  );
}
