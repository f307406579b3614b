// Which field a failed save concerns, so the form shows the API's `detail`
// beside it: a code `invalid_<field>`, else the first field the detail names
// (serde says "missing field `app_id`"), else the form as a whole.
import { problemText } from '../../api/client';

export interface FormProblem {
  /** The field the problem concerns, or null for the form as a whole. */
  field: string | null;
  detail: string;
  code: string | null;
}

export function formProblem(error: unknown, fields: readonly string[], fallback: string): FormProblem {
  const detail = problemText(error, fallback);
  const code = error && typeof error === 'object' && 'code' in error && typeof error.code === 'string' ? error.code : null;
  const byCode = code?.startsWith('invalid_') ? code.slice('invalid_'.length) : null;
  if (byCode && fields.includes(byCode)) return { field: byCode, detail, code };
  const named = fields
    .map((f) => ({ f, at: detail.search(new RegExp(`(^|[^a-z_])${f}([^a-z_]|$)`)) }))
    .filter((x) => x.at >= 0)
    .sort((a, b) => a.at - b.at)[0];
  return { field: named?.f ?? null, detail, code };
}

/** The detail for one field, if the problem concerns it. */
export function errorFor(p: FormProblem | null, field: string): string | null {
  return p && p.field === field ? p.detail : null;
}

/** The detail of a problem that concerns no one field (the form as a whole). */
export function generalProblem(p: FormProblem | null): string | null {
  return p && !p.field ? p.detail : null;
}
