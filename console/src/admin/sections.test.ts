import { describe, expect, it } from 'vitest';
import { pathOf, sectionFromPath } from './sections';

describe('admin sections', () => {
  it('reads the section from the address and writes it back', () => {
    expect(sectionFromPath('/manage/routing')).toBe('routing');
    expect(sectionFromPath(pathOf('channels'))).toBe('channels');
  });
  it('falls back to the overview for anything else', () => {
    expect(sectionFromPath('/')).toBe('overview');
    expect(sectionFromPath('/manage/nope')).toBe('overview');
    expect(sectionFromPath('/supervisor')).toBe('overview');
  });
});
