// A group of name-and-number rows (skills with levels, profiles with limits):
// add and remove rows, and the API's problem with the group beside it.
import { useId } from 'react';
import { newRow, type Row } from './model';

interface Props {
  legend: string;
  hint: string;
  nameLabel: string;
  valueLabel: string;
  addLabel: string;
  removeLabel: (name: string) => string;
  max: number;
  rows: Row[];
  error: string | null;
  onChange: (rows: Row[]) => void;
}

export function RowsField({ legend, hint, nameLabel, valueLabel, addLabel, removeLabel, max, rows, error, onChange }: Props) {
  const id = useId();
  const set = (key: number, patch: Partial<Row>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <fieldset className={`rows-field${error ? ' field-invalid' : ''}`} aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}>
      <legend>{legend}</legend>
      <p className="help" id={`${id}-hint`}>
        {hint}
      </p>
      {rows.length > 0 && (
        <table className="rows-table">
          <thead>
            <tr>
              <th scope="col">{nameLabel}</th>
              <th scope="col">{valueLabel}</th>
              <td />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.key}>
                <td>
                  <input aria-label={`${nameLabel} ${i + 1}`} value={r.name} onChange={(e) => set(r.key, { name: e.target.value })} />
                </td>
                <td>
                  <input
                    aria-label={`${valueLabel} ${i + 1}`}
                    type="number"
                    min={1}
                    max={max}
                    inputMode="numeric"
                    value={r.value}
                    onChange={(e) => set(r.key, { value: e.target.value })}
                  />
                </td>
                <td>
                  <button type="button" onClick={() => onChange(rows.filter((x) => x.key !== r.key))}>
                    {removeLabel(r.name || String(i + 1))}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" onClick={() => onChange([...rows, newRow('', '1')])}>
        {addLabel}
      </button>
      {error && (
        <p className="error field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
