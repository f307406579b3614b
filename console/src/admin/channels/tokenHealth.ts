// When a page's token and its data access end, and whether that is within
// the 14 days the alerts warn about (unix seconds; 0 or null means never).
export const WARN_WITHIN_SECS = 14 * 24 * 3600;

export interface Expiry {
  /** When it ends, or null for never. */
  at: Date | null;
  /** Ends (or ended) within 14 days of now. */
  soon: boolean;
}

export function expiry(unixSecs: number | null | undefined, now: Date): Expiry {
  if (!unixSecs || unixSecs <= 0) return { at: null, soon: false };
  return { at: new Date(unixSecs * 1000), soon: unixSecs <= now.getTime() / 1000 + WARN_WITHIN_SECS };
}
