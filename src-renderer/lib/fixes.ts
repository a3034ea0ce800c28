/** Quality fixes described in words before they are applied (what will change, where). */
import type { QualityFinding, QualityFix } from '../../src-main/engine/api/contract.js';
import { formatLocal, type PatientZone } from './format.js';
import { formatGlucoseWithUnit, MGDL_PER_MMOL, type GlucoseUnit } from './units.js';

const CHECK_TITLES: Record<QualityFinding['check'], string> = {
  no_readings: 'No readings',
  missing: 'Missing data',
  zero_variance: 'Constant channel',
  non_finite: 'Non-numeric values',
  out_of_range: 'Out of physiological range',
  duplicate_timestamps: 'Duplicate timestamps',
  conflicting_duplicates: 'Conflicting duplicates',
  duplicate_uploads: 'Duplicate uploads',
  overlapping_sensors: 'Overlapping sensors',
  irregular_interval: 'Irregular sampling',
  interval_mismatch: 'Interval ≠ resolution',
  unit_mgdl_in_mmol: 'mg/dL values in mmol/L',
  unit_mmol_in_mgdl: 'mmol/L values in mg/dL',
  error_codes: 'Sensor error codes',
  implausible_rate: 'Implausible rate of change',
  dst_repeat: 'Repeated hour (DST)',
  time_backwards: 'Time going backwards',
  low_wear: 'Low sensor wear',
  short_history: 'Short history',
  no_usable_windows: 'No usable windows',
};

export function checkTitle(check: QualityFinding['check']): string {
  return CHECK_TITLES[check] ?? check;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function rangeText(from: number | undefined, to: number | undefined, zone: PatientZone): string {
  if (from === undefined && to === undefined) return '';
  return ` between ${from === undefined ? 'the start' : formatLocal(from, zone)} and ${to === undefined ? 'the end' : formatLocal(to, zone)}`;
}

/**
 * What applying `fix` will change, as sentences: the first says what, the rest give detail.
 * Glucose thresholds are shown in the display unit.
 */
export function describeFix(fix: QualityFix, patient: string | null, zone: PatientZone, unit: GlucoseUnit): string[] {
  const who = patient === null ? 'this patient' : `patient ${patient}`;
  switch (fix.kind) {
    case 'dedupe_readings':
      return [
        fix.by === 'timestamp'
          ? `Keep the first glucose reading at each timestamp of ${who}${rangeText(fix.from, fix.to, zone)}; mark the other readings at the same time removed.`
          : `Keep the first glucose reading in each ${fix.resolutionMin ?? 5}-minute bin of ${who}${rangeText(fix.from, fix.to, zone)}; mark the others removed.`,
        'Removed readings stay in the store (flagged) and can be traced to their source file and row.',
      ];
    case 'remove_readings': {
      const parts: string[] = [];
      if (fix.timestamps !== undefined) {
        const ts = fix.timestamps;
        const first = ts.length > 0 ? formatLocal(Math.min(...ts), zone) : '';
        const last = ts.length > 0 ? formatLocal(Math.max(...ts), zone) : '';
        parts.push(`Mark ${plural(ts.length, 'glucose reading')} of ${who} removed${ts.length > 0 ? ` (${first} … ${last})` : ''}.`);
      }
      const bounds: string[] = [];
      if (fix.below !== undefined) bounds.push(`below ${formatGlucoseWithUnit(fix.below, unit)}`);
      if (fix.above !== undefined) bounds.push(`above ${formatGlucoseWithUnit(fix.above, unit)}`);
      if (bounds.length > 0) parts.push(`Mark glucose readings of ${who} ${bounds.join(' or ')}${rangeText(fix.from, fix.to, zone)} removed.`);
      if (parts.length === 0) parts.push(`Mark readings of ${who}${rangeText(fix.from, fix.to, zone)} removed.`);
      parts.push('They are flagged, not deleted; gaps they leave are imputed or split the series like any other gap.');
      return parts;
    }
    case 'convert_units': {
      const toMgdl = Math.abs(fix.factor - MGDL_PER_MMOL) < 0.01;
      const what = toMgdl
        ? 'they look like mmol/L values stored as mg/dL'
        : Math.abs(fix.factor * MGDL_PER_MMOL - 1) < 0.01
          ? 'they look like mg/dL values stored as mmol/L'
          : `factor ${fix.factor}`;
      return [
        `Multiply the glucose readings of ${who} between ${formatGlucoseWithUnit(fix.min, unit)} and ${formatGlucoseWithUnit(fix.max, unit)}${rangeText(fix.from, fix.to, zone)} by ${fix.factor.toPrecision(5)} (${what}).`,
      ];
    }
    case 'drop_channel':
      return [
        `Leave the channel ${fix.channel} out of this dataset's modelling view (grids, training windows).`,
        'The raw records stay; the channel is listed under the dataset’s dropped channels.',
      ];
    case 'resolve_conflicts': {
      const where = `${fix.timestamps !== undefined ? `the ${plural(fix.timestamps.length, 'timestamp')}` : 'the timestamps'} of ${who}${rangeText(fix.from, fix.to, zone)} holding different glucose values`;
      return [
        fix.strategy === 'neighbours'
          ? `At ${where}, keep the reading closest to the neighbouring readings; mark the others removed.`
          : fix.strategy === 'mean'
            ? `At ${where}, keep one reading set to their mean; mark the others removed.`
            : `Mark every reading at ${where} removed.`,
        'Removed readings stay in the store (flagged) and can be traced to their source file and row.',
      ];
    }
    case 'shift_time':
      return [
        `Shift ${who}'s readings and events between ${formatLocal(fix.from, zone)} and ${formatLocal(fix.to, zone)} by ${fix.offsetMin > 0 ? '+' : ''}${fix.offsetMin} min (clock jump).`,
      ];
  }
  return ['Apply the proposed change.'];
}

/**
 * What a fix did, in words: a dropped channel is named (it changes no record), other fixes
 * count the readings or events they changed. `stillReported` says whether the re-run check
 * still reports the finding the fix was for.
 */
export function appliedFixText(results: readonly { fix: QualityFix; affected: number }[], stillReported: boolean): string {
  const parts = results.map(({ fix, affected }) => {
    if (fix.kind === 'drop_channel')
      return affected > 0 ? `channel ${fix.channel} dropped from this dataset's modelling view` : `channel ${fix.channel} was already dropped`;
    if (fix.kind === 'shift_time') return `${plural(affected, 'reading or event', 'readings and events')} moved`;
    return `${plural(affected, 'reading')} changed`;
  });
  const what = parts.join('; ');
  return `Fix applied: ${what}. ${stillReported ? 'The re-run check still reports this finding: look at the data before applying it again.' : 'The re-run check no longer reports this finding.'}`;
}
