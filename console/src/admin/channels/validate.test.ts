import { describe, expect, it } from 'vitest';
import { translator } from '../../i18n/i18n';
import { validate } from './validate';

const t = translator('en');
const rules = {
  name: { rule: 'name', label: 'Name' },
  app_id: { rule: 'digits', label: 'App ID' },
  app_secret: { rule: 'secret', label: 'App secret' },
} as const;

describe('validate', () => {
  it('passes a good account', () => {
    expect(validate(t, { name: 'Globex', app_id: '900000000000001', app_secret: 's' }, rules)).toBeNull();
  });
  it('names the first missing field', () => {
    expect(validate(t, { name: ' ', app_id: '1', app_secret: 's' }, rules)?.field).toBe('name');
    expect(validate(t, { name: 'G', app_id: '1', app_secret: '  ' }, rules)).toMatchObject({ field: 'app_secret', detail: 'App secret is required.' });
  });
  it('wants digits in ids, as the API does', () => {
    expect(validate(t, { name: 'G', app_id: '12a', app_secret: 's' }, rules)).toMatchObject({ field: 'app_id', detail: 'App ID is digits only (1 to 32).' });
    expect(validate(t, { name: 'G', app_id: '1'.repeat(33), app_secret: 's' }, rules)?.field).toBe('app_id');
  });
  it('wants names of at most 200 characters', () => {
    expect(validate(t, { name: 'x'.repeat(201), app_id: '1', app_secret: 's' }, rules)?.field).toBe('name');
  });
});
