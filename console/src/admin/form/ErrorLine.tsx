// A line saying what went wrong, announced to screen readers; nothing when
// there is nothing to say.
import type { ReactNode } from 'react';

export function ErrorLine({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p className="error" role="alert">
      {children}
    </p>
  );
}
