// The weekly editor's model converts to and from the API's Hours without loss.
import { describe, expect, it } from 'vitest';
import { defaultHours, fromApi, toApi, timeZones } from './hours';

describe('hours', () => {
  it('always open is no hours', () => {
    expect(toApi(defaultHours('Europe/Copenhagen'))).toBeNull();
    expect(fromApi(null, 'UTC').limited).toBe(false);
  });

  it('lists open days only, with their spans, and sorted unique holidays', () => {
    const m = { ...defaultHours('Europe/Copenhagen'), limited: true, holidays: ['2026-12-25', '2026-12-24', '2026-12-25', ''] };
    m.days.monday = { open: true, spans: [{ from: '08:00', to: '12:00' }, { from: '13:00', to: '16:30' }] };
    m.days.friday = { open: false, spans: [{ from: '09:00', to: '17:00' }] };
    expect(toApi(m)).toEqual({
      time_zone: 'Europe/Copenhagen',
      weekly: {
        monday: [{ from: '08:00', to: '12:00' }, { from: '13:00', to: '16:30' }],
        tuesday: [{ from: '09:00', to: '17:00' }],
        wednesday: [{ from: '09:00', to: '17:00' }],
        thursday: [{ from: '09:00', to: '17:00' }],
      },
      holidays: ['2026-12-24', '2026-12-25'],
    });
  });

  it('reads the API back: a day not listed (or with no spans) is closed', () => {
    const api = { time_zone: 'America/New_York', weekly: { saturday: [{ from: '10:00', to: '14:00' }], sunday: [] }, holidays: ['2027-01-01'] };
    const m = fromApi(api, 'UTC');
    expect(m.limited).toBe(true);
    expect(m.timeZone).toBe('America/New_York');
    expect(m.days.saturday).toEqual({ open: true, spans: [{ from: '10:00', to: '14:00' }] });
    expect(m.days.sunday.open).toBe(false);
    expect(m.days.monday.open).toBe(false);
    expect(toApi(m)).toEqual({ time_zone: 'America/New_York', weekly: { saturday: [{ from: '10:00', to: '14:00' }] }, holidays: ['2027-01-01'] });
  });

  it('keeps hours with no weekly spans as closed every day (not always open)', () => {
    expect(toApi(fromApi({ time_zone: 'UTC' }, 'UTC'))).toEqual({ time_zone: 'UTC', weekly: {}, holidays: [] });
  });

  it('offers the current zone even when the browser does not know it', () => {
    expect(timeZones('Mars/Olympus')[0]).toBe('Mars/Olympus');
    expect(timeZones('UTC')).toContain('UTC');
  });
});
