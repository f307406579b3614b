// A form's submit button, disabled and saying so while the save runs.
interface Props {
  busy: boolean;
  label: string;
  busyLabel: string;
  primary?: boolean;
  disabled?: boolean;
}

export function SubmitButton({ busy, label, busyLabel, primary, disabled }: Props) {
  return (
    <button type="submit" className={primary ? 'primary' : undefined} disabled={busy || disabled}>
      {busy ? busyLabel : label}
    </button>
  );
}
