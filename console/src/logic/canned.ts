// Canned responses in the reply box: typing `/` and a shortcut at the caret
// opens the list, filtered as you type; choosing one replaces `/shortcut`
// with its text (placeholders filled by the server's `rendered`).
import type { CannedResponse } from '../api/types';

export interface SlashQuery {
  /** Where the `/` is. */
  start: number;
  /** Where the caret is (the end of the query). */
  end: number;
  query: string;
}

/** The `/word` the caret is in, when it starts the text or follows whitespace. */
export function slashQueryAt(text: string, caret: number): SlashQuery | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)\/([\p{L}\p{N}_-]*)$/u.exec(before);
  if (!m) return null;
  const query = m[2] ?? '';
  const start = caret - query.length - 1;
  return { start, end: caret, query };
}

/** The canned responses whose shortcut (or title) starts with the query, shortcut matches first. */
export function filterCanned(list: readonly CannedResponse[], query: string): CannedResponse[] {
  const q = query.toLowerCase();
  const byShortcut = list.filter((c) => c.shortcut.toLowerCase().startsWith(q));
  const byTitle = list.filter((c) => !byShortcut.includes(c) && c.title.toLowerCase().includes(q));
  return [...byShortcut, ...byTitle];
}

/** The text a canned response puts in: the filled-in rendering when there is one. */
export function cannedText(c: CannedResponse): string {
  return c.rendered ?? c.text;
}

/** Replace the `/query` with the canned text; the new text and caret. */
export function insertCanned(text: string, q: SlashQuery, c: CannedResponse): { text: string; caret: number } {
  const inserted = cannedText(c);
  const next = text.slice(0, q.start) + inserted + text.slice(q.end);
  return { text: next, caret: q.start + inserted.length };
}
