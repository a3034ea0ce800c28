/**
 * The import formats by id and the column mapping of generic CSVs: the importers own them
 * (FORMAT_IDS is the one list of formats, mapping.ts parses mappings); the
 * API contract re-exports them. Only zod, so the renderer can import it through the contract.
 */
import { z } from 'zod';
import { GLUCOSE_UNITS } from '../../units.js';

/** Every import format, by id (the importers' registry in index.ts covers each). */
export const FORMAT_IDS = [
  'dexcom-clarity',
  'libreview',
  'nightscout',
  'tidepool',
  'ohiot1dm-xml',
  'glucose-ml',
  'glupredkit',
  'seed-csv',
  'medtronic-carelink',
  'nightscout-csv',
  'generic-csv',
] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

export const ImportFormat = z.enum(FORMAT_IDS);
export const DateOrderSchema = z.enum(['ymd', 'dmy', 'mdy']);

/** Column mapping for generic CSVs (the import wizard writes it; `--mapping file.json` in the CLI). */
export const ImportMappingSchema = z
  .object({
    delimiter: z.enum([',', ';', '\t', '|']).optional(),
    /** 1-based line holding the column names; lines above it are skipped. */
    headerLine: z.number().int().min(1).max(1000).default(1),
    /** `iso` (YYYY-MM-DD hh:mm[:ss][Z|±hh:mm]), epoch seconds/ms, or a date order with optional AM/PM. */
    timestamp: z.object({ column: z.string().min(1), format: z.enum(['iso', 'epoch_s', 'epoch_ms', 'dmy', 'mdy', 'ymd']).default('iso') }).strict(),
    /** IANA zone of naive timestamps; an explicit timeZone option overrides it. */
    timeZone: z.string().min(1).optional(),
    patient: z.union([z.object({ column: z.string().min(1) }).strict(), z.object({ value: z.string().min(1).max(200) }).strict()]).optional(),
    glucose: z
      .object({ column: z.string().min(1), unit: z.enum(GLUCOSE_UNITS), kind: z.enum(['cgm', 'scan', 'smbg']).default('cgm') })
      .strict()
      .optional(),
    events: z
      .array(
        z
          .object({
            column: z.string().min(1),
            kind: z.enum(['bolus', 'basal_rate', 'basal_dose', 'carbs', 'exercise', 'hr', 'steps', 'cals', 'ketone', 'note']),
            /** Multiplier to the canonical unit (e.g. 0.001 for mU → U). */
            scale: z.number().positive().finite().default(1),
            durationMinColumn: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .refine((m) => m.glucose !== undefined || m.events.length > 0, { message: 'map at least a glucose column or one event column' });
export type ImportMapping = z.output<typeof ImportMappingSchema>;
