// How transcript entries are shown: who wrote it, which side, outbound status,
// attachments (images inline, others as links marked when Meta's URL expired),
// and the customer's unsent messages.
import type { TranscriptEntry } from '../api/types';

export type Side = 'left' | 'right' | 'centre';

export function sideOf(e: TranscriptEntry): Side {
  switch (e.from) {
    case 'customer':
      return 'left';
    case 'system':
      return 'centre';
    default:
      return 'right';
  }
}

export interface AttachmentView {
  kind: string;
  url: string | null;
  title: string | null;
  image: boolean;
  expired: boolean;
}

/**
 * Meta's attachment URLs carry their expiry as `oe=<hex unix seconds>`; a URL
 * whose expiry has passed is marked rather than shown broken.
 */
export function urlExpired(url: string, now: number): boolean {
  let oe: string | null;
  try {
    oe = new URL(url).searchParams.get('oe');
  } catch {
    return false;
  }
  if (!oe || !/^[0-9a-fA-F]{1,12}$/.test(oe)) return false;
  return parseInt(oe, 16) * 1000 <= now;
}

export function attachmentsOf(e: TranscriptEntry, now: number): AttachmentView[] {
  const list = Array.isArray(e.attachments) ? e.attachments : [];
  return list.map((a) => {
    const rec = a as Record<string, unknown>;
    const kind = typeof rec.type === 'string' ? rec.type : 'file';
    const url = typeof rec.url === 'string' && /^https?:\/\//.test(rec.url) ? rec.url : null;
    const title = typeof rec.title === 'string' ? rec.title : null;
    const expired = url !== null && urlExpired(url, now);
    return { kind, url, title, image: kind === 'image' && url !== null && !expired, expired };
  });
}

/** The customer took the message back (the server withholds its text). */
export function isUnsent(e: TranscriptEntry): boolean {
  return e.from === 'customer' && typeof e.note === 'string' && e.note.includes('unsent');
}

export interface FailureView {
  code: string;
  reason: string;
}

export function failureOf(e: TranscriptEntry): FailureView | null {
  if (e.status !== 'failed') return null;
  const f = (e.failure ?? {}) as Record<string, unknown>;
  const code = [f.code, f.subcode].filter((x) => x !== null && x !== undefined).join('/');
  const reason = typeof f.reason === 'string' ? f.reason : '';
  return { code, reason };
}

/** A stable key for an entry (outbound id when it has one). */
export function entryKey(e: TranscriptEntry, index: number): string {
  return e.outbound_id ?? `${e.from}:${e.at}:${index}`;
}
