import { describe, expect, it } from 'vitest';
import { expiry } from './tokenHealth';

const now = new Date('2026-11-30T12:00:00Z');
const secs = (d: Date) => Math.floor(d.getTime() / 1000);

describe('expiry', () => {
  it('treats 0 and null as never', () => {
    expect(expiry(0, now)).toEqual({ at: null, soon: false });
    expect(expiry(null, now)).toEqual({ at: null, soon: false });
  });
  it('warns within 14 days, and after the end', () => {
    expect(expiry(secs(now) + 13 * 86400, now).soon).toBe(true);
    expect(expiry(secs(now) - 60, now).soon).toBe(true);
    expect(expiry(secs(now) + 15 * 86400, now)).toEqual({ at: new Date((secs(now) + 15 * 86400) * 1000), soon: false });
  });
});
