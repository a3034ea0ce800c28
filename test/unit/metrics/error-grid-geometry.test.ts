import { describe, expect, it } from 'vitest';
import { CLARKE_GRID_MAX_MGDL, CLARKE_LABELS, CLARKE_LINES, clarkeZone } from '../../../src-main/engine/metrics/clarke.js';
import { PARKES_GRID_MAX_MGDL, PARKES_LABELS, parkesZone } from '../../../src-main/engine/metrics/parkes.js';

// The drawing geometry the report and the app share: every zone letter sits in the zone it
// names, inside the drawn square, and every Clarke line stays inside it too.
describe('error-grid drawing geometry', () => {
  it('Clarke letters lie in their zones, one or more per zone, A on the diagonal too', () => {
    for (const [z, r, p] of CLARKE_LABELS) {
      expect(clarkeZone(r, p), `${z} at (${r}, ${p})`).toBe(z);
      expect(Math.max(r, p)).toBeLessThanOrEqual(CLARKE_GRID_MAX_MGDL);
    }
    expect(new Set(CLARKE_LABELS.map(([z]) => z))).toEqual(new Set(['A', 'B', 'C', 'D', 'E']));
    expect(CLARKE_LABELS.some(([z, r, p]) => z === 'A' && r > 300 && Math.abs(p - r) < 0.2 * r)).toBe(true);
  });

  it('Clarke lines lie inside the square', () => {
    for (const line of CLARKE_LINES)
      for (const [r, p] of line) {
        expect(r).toBeGreaterThanOrEqual(0);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(Math.max(r, p)).toBeLessThanOrEqual(CLARKE_GRID_MAX_MGDL);
      }
  });

  it('Parkes letters lie in their zones inside the square', () => {
    for (const [z, r, p] of PARKES_LABELS) {
      expect(parkesZone(r, p), `${z} at (${r}, ${p})`).toBe(z);
      expect(Math.max(r, p)).toBeLessThanOrEqual(PARKES_GRID_MAX_MGDL);
    }
  });
});
