// A form that saves through the API rather than the browser: no native
// validation (the API's problems show beside the fields) and no page load.
import type { ReactNode } from 'react';

interface Props {
  /** The form's accessible name, when it has one. */
  label?: string;
  className?: string;
  onSave: () => Promise<void>;
  children: ReactNode;
}

export function SaveForm({ label, className, onSave, children }: Props) {
  return (
    <form
      className={className}
      noValidate
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void onSave();
      }}
    >
      {children}
    </form>
  );
}
