/** The Quality page names the findings and describes each of their fixes in words. */
import { describe, expect, it } from 'vitest';
import { checkTitle, describeFix } from '../../../src-renderer/lib/fixes.js';

const zone = { timeZone: 'UTC', utcOffsetMin: 0 };

describe('new quality findings on the Quality page', () => {
  it('have titles', () => {
    expect(checkTitle('conflicting_duplicates')).toBe('Conflicting duplicates');
    expect(checkTitle('duplicate_uploads')).toBe('Duplicate uploads');
    expect(checkTitle('overlapping_sensors')).toBe('Overlapping sensors');
  });

  it('describe the three fixes of a conflict', () => {
    const say = (strategy: 'neighbours' | 'mean' | 'drop') => describeFix({ kind: 'resolve_conflicts', patientId: 1, strategy }, '001', zone, 'mg/dL')[0]!;
    expect(say('neighbours')).toMatch(/keep the reading closest to the neighbouring readings/);
    expect(say('mean')).toMatch(/set to their mean/);
    expect(say('drop')).toMatch(/Mark every reading .* removed/);
  });
});
