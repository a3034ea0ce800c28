/**
 * Harmonised research CSVs, all read by the shared tabular reader:
 * - Glucose-ML: `timestamp,glucose_value_mg_dl`, one file per patient (id = file name);
 * - GluPredKit: `date,id,CGM,insulin,carbs,…,basal,bolus` (CGM mg/dL, doses U per row);
 * - the combined layout: `datetime,bg_mM,…,p_num` (canonical column names, as `simulate --out` writes).
 * Derived columns (iob, cob, availabilities, hour, is_test) are not imported: they are
 * recomputed from the raw doses and carbs.
 */
import { findHeader, type CsvHeader } from './csv-header.js';
import { runTabular, type TabularEventColumn, type TabularSpec } from './tabular.js';
import type { Detection, ImportContext, Importer, SourceFile } from './types.js';

function has(h: CsvHeader, name: string): boolean {
  return h.index.has(name);
}

function header(file: SourceFile, accept: (h: CsvHeader) => boolean): CsvHeader | null {
  return findHeader(file.sample.lines, accept, 1);
}

const isGlucoseMl = (h: CsvHeader): boolean => has(h, 'timestamp') && has(h, 'glucose_value_mg_dl');
const isGluPredKit = (h: CsvHeader): boolean => has(h, 'date') && has(h, 'id') && has(h, 'CGM');
const isSeed = (h: CsvHeader): boolean => has(h, 'datetime') && has(h, 'bg_mM');

function optional(h: CsvHeader, cols: TabularEventColumn[]): TabularEventColumn[] {
  return cols.filter((c) => has(h, c.column));
}

export const glucoseMl: Importer = {
  id: 'glucose-ml',
  label: 'Glucose-ML harmonised CSV',
  detect(file: SourceFile): Detection | null {
    const h = header(file, isGlucoseMl);
    if (h === null) return null;
    return {
      format: 'glucose-ml',
      score: 0.9,
      reasons: ['header has timestamp and glucose_value_mg_dl (Glucose-ML harmonised)', `one patient per file: "${file.stem}"`],
    };
  },
  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) {
      const spec: TabularSpec = {
        delimiter: ',',
        headerLine: 1,
        timestamp: { column: 'timestamp', format: 'iso' },
        patient: null,
        glucose: { column: 'glucose_value_mg_dl', unit: 'mg/dL', kind: 'cgm' },
        events: [],
      };
      await runTabular(file, ctx, spec);
    }
  },
};

export const gluPredKit: Importer = {
  id: 'glupredkit',
  label: 'GluPredKit CSV',
  detect(file: SourceFile): Detection | null {
    const h = header(file, isGluPredKit);
    if (h === null) return null;
    return {
      format: 'glupredkit',
      score: 0.9,
      reasons: [
        'header has date, id and CGM (GluPredKit)',
        'patients from the id column',
        `insulin columns: ${['insulin', 'basal', 'bolus'].filter((c) => has(h, c)).join(', ') || 'none'}`,
      ],
    };
  },
  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) {
      const h = header(file, isGluPredKit)!;
      const split = has(h, 'basal') || has(h, 'bolus');
      const events = optional(h, [
        { column: 'bolus', kind: 'bolus', scale: 1, skipZero: true },
        // GluPredKit's basal is the insulin delivered in the row's interval (U), not a rate.
        { column: 'basal', kind: 'basal_dose', scale: 1 },
        { column: 'carbs', kind: 'carbs', scale: 1, skipZero: true },
        { column: 'heartrate', kind: 'hr', scale: 1 },
        { column: 'heart_rate', kind: 'hr', scale: 1 },
        { column: 'steps', kind: 'steps', scale: 1, skipZero: true },
        { column: 'calories_burned', kind: 'cals', scale: 1, skipZero: true },
      ]);
      if (!split && has(h, 'insulin'))
        events.push({
          column: 'insulin',
          kind: 'bolus',
          scale: 1,
          skipZero: true,
          meta: { column: 'insulin', note: 'total insulin; bolus/basal split unknown' },
        });
      await runTabular(file, ctx, {
        delimiter: ',',
        headerLine: 1,
        timestamp: { column: 'date', format: 'iso' },
        patient: { column: 'id' },
        glucose: { column: 'CGM', unit: 'mg/dL', kind: 'cgm' },
        events,
      });
    }
  },
};

export const seedCsv: Importer = {
  id: 'seed-csv',
  label: 'Combined canonical CSV (datetime, bg_mM, …, p_num)',
  detect(file: SourceFile): Detection | null {
    const h = header(file, isSeed);
    if (h === null) return null;
    return {
      format: 'seed-csv',
      score: 0.9,
      reasons: [
        'header has datetime and bg_mM (the canonical columns)',
        has(h, 'p_num') ? 'patients from p_num' : `no p_num column: one patient "${file.stem}"`,
      ],
    };
  },
  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) {
      const h = header(file, isSeed)!;
      const events = optional(h, [
        { column: 'bolus', kind: 'bolus', scale: 1, skipZero: true },
        { column: 'rate', kind: 'basal_rate', scale: 1, onChange: true },
        { column: 'food_g', kind: 'carbs', scale: 1, skipZero: true },
        { column: 'hr_bpm', kind: 'hr', scale: 1 },
        { column: 'steps', kind: 'steps', scale: 1, skipZero: true },
        { column: 'cals', kind: 'cals', scale: 1, skipZero: true },
      ]);
      // dose_units is bolus + basal: only read when neither part is there.
      if (!has(h, 'bolus') && !has(h, 'rate') && has(h, 'dose_units'))
        events.push({ column: 'dose_units', kind: 'basal_dose', scale: 1, skipZero: true, meta: { column: 'dose_units' } });
      await runTabular(file, ctx, {
        delimiter: ',',
        headerLine: 1,
        timestamp: { column: 'datetime', format: 'iso' },
        patient: has(h, 'p_num') ? { column: 'p_num' } : null,
        glucose: { column: 'bg_mM', unit: 'mmol/L', kind: 'cgm' },
        events,
      });
    }
  },
};
