// The administrator's sections, in the order the navigation shows them, and
// the address each one has (/manage/<section>), so a reload keeps the place.
export const SECTIONS = ['overview', 'channels', 'workstreams', 'queues', 'agents', 'routing', 'conversations', 'privacy', 'configuration'] as const;
export type Section = (typeof SECTIONS)[number];

export function sectionFromPath(pathname: string): Section {
  const m = /^\/manage\/([a-z]+)/.exec(pathname);
  const name = m?.[1];
  return (SECTIONS as readonly string[]).includes(name ?? '') ? (name as Section) : 'overview';
}

export function pathOf(section: Section): string {
  return `/manage/${section}`;
}
