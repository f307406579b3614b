import { describe, expect, it } from 'vitest';
import { errorFor, formProblem } from './formProblem';

const fields = ['name', 'app_id', 'app_secret'] as const;

describe('formProblem', () => {
  it('finds the field from an invalid_<field> code', () => {
    const p = formProblem({ code: 'invalid_app_secret', detail: 'The app secret must not be empty.' }, fields, 'x');
    expect(p.field).toBe('app_secret');
    expect(errorFor(p, 'app_secret')).toBe('The app secret must not be empty.');
    expect(errorFor(p, 'name')).toBeNull();
  });
  it('finds the field the detail names first, as a whole word', () => {
    expect(formProblem({ code: 'invalid_body', detail: 'missing field `app_id` at line 1' }, fields, 'x').field).toBe('app_id');
    expect(formProblem({ code: 'invalid_body', detail: 'the app_idx is odd' }, fields, 'x').field).toBeNull();
  });
  it('falls back to the form, with the given sentence when there is no detail', () => {
    const p = formProblem(undefined, fields, 'Network down');
    expect(p).toEqual({ field: null, detail: 'Network down', code: null });
  });
});
