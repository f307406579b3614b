// A titled list of alerts for supervisors, with its count in the heading
// and a sentence when there are none.
import type { ReactNode } from 'react';

interface Props {
  id: string;
  className: string;
  title: string;
  count: number;
  empty: string;
  children: ReactNode;
}

export function AlertSection({ id, className, title, count, empty, children }: Props) {
  return (
    <section className={className} aria-labelledby={id}>
      <h2 id={id}>
        {title} ({count})
      </h2>
      {count === 0 ? <p className="empty">{empty}</p> : <ul>{children}</ul>}
    </section>
  );
}
