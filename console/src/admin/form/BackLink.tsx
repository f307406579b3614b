// The "← back" link-styled button at the top of an editor.
export function BackLink({ label, onBack }: { label: string; onBack: () => void }) {
  return (
    <p>
      <button type="button" className="link" onClick={onBack}>
        ← {label}
      </button>
    </p>
  );
}
