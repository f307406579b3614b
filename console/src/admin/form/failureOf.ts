// What a request's failure says, or null when it succeeded (what a
// DeleteButton's onConfirm resolves to).
import { problemText } from '../../api/client';

export function failureOf(r: { response: Response; error?: unknown }, fallback: string): string | null {
  return r.response.ok ? null : problemText(r.error, fallback);
}
