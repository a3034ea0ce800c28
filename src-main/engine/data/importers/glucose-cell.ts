/**
 * Glucose cells of the tabular exports: numbers (decimal comma accepted) and the
 * sensor-limit markers devices write instead of a number when glucose is beyond what the
 * sensor can read (`Low`, `High`, `LO`, `HI`, `<40`, `>400`, any case, with or without a
 * unit). One parser for every importer, so each reads the same markers the same way.
 * A marker is a censored value: it is stored at the limit and flagged (READING_FLAGS
 * clampedLow / clampedHigh), meaning "the true glucose was at or beyond this value".
 */
import { READING_FLAGS } from '../../store/readings.js';
import { parseNumber } from '../csv.js';
import { LIBRE_HIGH_MGDL, SENSOR_HIGH_MGDL, SENSOR_LOW_MGDL } from './types.js';
import type { GlucoseUnit } from '../../units.js';

/** The markers read, for messages and docs. */
export const SENSOR_MARKERS_TEXT = 'Low, High, LO, HI, <40, >400 (any case, optionally followed by mg/dL or mmol/L)';

export interface SensorMarker {
  side: 'low' | 'high';
  /** The limit the marker names (`<40` → 40), or null for Low/High/LO/HI. */
  limit: number | null;
  /** Unit of `limit`: the one written after it, else inferred from the size (≤ 33.3 → mmol/L). */
  unit: GlucoseUnit | null;
}

/** Reporting limits of a device family, in mg/dL: what Low/High stand for. */
export interface SensorLimits {
  lowMgdl: number;
  highMgdl: number;
}

/** Dexcom, Medtronic and the default for exports that do not say which sensor: 40–400 mg/dL. */
export const CGM_LIMITS: SensorLimits = { lowMgdl: SENSOR_LOW_MGDL, highMgdl: SENSOR_HIGH_MGDL };
/** FreeStyle Libre: LO below 40, HI above 500 mg/dL. */
export const LIBRE_LIMITS: SensorLimits = { lowMgdl: SENSOR_LOW_MGDL, highMgdl: LIBRE_HIGH_MGDL };

const MARKER = /^\s*(?:(lo(?:w)?)|(hi(?:gh)?)|([<>])\s*=?\s*(\d+(?:[.,]\d+)?))\s*(?:\(?\s*(mg\s*\/\s*dl|mmol\s*\/\s*l)\s*\)?)?\s*$/i;

/** A sensor-limit marker, or null when the text is not one. */
export function parseSensorMarker(raw: string): SensorMarker | null {
  if (raw.length > 40) return null;
  const m = MARKER.exec(raw);
  if (m === null) return null;
  const unitText = m[5];
  let unit: GlucoseUnit | null = unitText === undefined ? null : unitText.toLowerCase().startsWith('mg') ? 'mg/dL' : 'mmol/L';
  if (m[1] !== undefined) return { side: 'low', limit: null, unit };
  if (m[2] !== undefined) return { side: 'high', limit: null, unit };
  const limit = Number(m[4]!.replace(',', '.'));
  if (!(limit > 0)) return null;
  unit ??= limit <= 33.3 ? 'mmol/L' : 'mg/dL';
  return { side: m[3] === '<' ? 'low' : 'high', limit, unit };
}

/** A glucose cell read: the value in `unit` with its flags. Reused between rows (no allocation per cell). */
export interface GlucoseCell {
  value: number;
  unit: GlucoseUnit;
  flags: number;
}

/**
 * Reads one glucose cell into `out`: a number in `columnUnit`, or a marker clamped to its
 * limit (or the device's limits for Low/High) and flagged censored. Returns false when the
 * text is neither (the caller reports it with the file and line, see `glucoseCellProblem`).
 */
export function readGlucoseCell(raw: string, columnUnit: GlucoseUnit, limits: SensorLimits, out: GlucoseCell): boolean {
  const v = parseNumber(raw);
  if (v === v) {
    out.value = v;
    out.unit = columnUnit;
    out.flags = 0;
    return true;
  }
  const m = parseSensorMarker(raw);
  if (m === null) return false;
  out.flags = m.side === 'low' ? READING_FLAGS.clampedLow : READING_FLAGS.clampedHigh;
  if (m.limit === null) {
    out.value = m.side === 'low' ? limits.lowMgdl : limits.highMgdl;
    out.unit = 'mg/dL';
  } else {
    out.value = m.limit;
    out.unit = m.unit!;
  }
  return true;
}

/** The message for a glucose cell that is neither a number nor a marker. */
export function glucoseCellProblem(raw: string, column?: string): string {
  const what = column === undefined ? 'glucose' : `glucose (${column})`;
  return `${what} "${raw.slice(0, 40)}" is neither a number nor a sensor-limit marker (accepted markers: ${SENSOR_MARKERS_TEXT}).`;
}
