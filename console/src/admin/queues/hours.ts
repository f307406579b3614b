// The weekly hours editor's model and its conversion to and from the API's
// Hours (shared/core routing/hours.rs): per weekday open spans {from, to} as
// HH:MM, a day not listed closed, holidays as dates, one IANA time zone.
// A queue without hours is always open.
import type { AdminSchemas } from '../../api/types';

export type Hours = AdminSchemas['Hours'];
export const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Day = (typeof DAYS)[number];

export interface Span {
  from: string;
  to: string;
}

export interface DayModel {
  open: boolean;
  spans: Span[];
}

export interface HoursModel {
  /** false: always open (no hours). */
  limited: boolean;
  timeZone: string;
  days: Record<Day, DayModel>;
  holidays: string[];
}

const DEFAULT_SPAN: Span = { from: '09:00', to: '17:00' };

export function defaultHours(timeZone: string): HoursModel {
  const days = Object.fromEntries(DAYS.map((d) => [d, { open: d !== 'saturday' && d !== 'sunday', spans: [{ ...DEFAULT_SPAN }] }])) as Record<Day, DayModel>;
  return { limited: false, timeZone, days, holidays: [] };
}

/** The editor's model of a queue's hours (null: always open). */
export function fromApi(h: Hours | null | undefined, fallbackZone: string): HoursModel {
  if (!h) return defaultHours(fallbackZone);
  const weekly = h.weekly ?? {};
  const days = Object.fromEntries(
    DAYS.map((d) => {
      const spans = (weekly[d] ?? []).map((s) => ({ from: s.from, to: s.to }));
      return [d, spans.length ? { open: true, spans } : { open: false, spans: [{ ...DEFAULT_SPAN }] }];
    }),
  ) as Record<Day, DayModel>;
  return { limited: true, timeZone: h.time_zone, days, holidays: [...(h.holidays ?? [])] };
}

/** The API's hours for the model: null when always open; closed days left out. */
export function toApi(m: HoursModel): Hours | null {
  if (!m.limited) return null;
  const weekly: NonNullable<Hours['weekly']> = {};
  for (const d of DAYS) {
    const day = m.days[d];
    if (day.open && day.spans.length) weekly[d] = day.spans.map((s) => ({ from: s.from, to: s.to }));
  }
  const holidays = [...new Set(m.holidays.filter((x) => x.trim() !== ''))].sort();
  return { time_zone: m.timeZone, weekly, holidays };
}

/** The IANA zones the browser knows, with `current` kept even if it does not. */
export function timeZones(current: string): string[] {
  let zones: string[];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  return current && !zones.includes(current) ? [current, ...zones] : zones;
}
