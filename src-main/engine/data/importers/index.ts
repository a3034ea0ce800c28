/** The importers and format detection from file content (never the file name). */
import { basename, extname } from 'node:path';
import { stat } from 'node:fs/promises';
import type { z } from 'zod';
import type { ImportFormat } from './formats.js';
import { StudioError } from '../../errors.js';
import { readSample } from '../csv.js';
import { dexcomClarity } from './dexcom-clarity.js';
import { checkMapping, genericCsv } from './generic-csv.js';
import { gluPredKit, glucoseMl, seedCsv } from './harmonised.js';
import { libreView } from './libreview.js';
import type { GenericMapping } from './mapping.js';
import { medtronicCareLink } from './medtronic-carelink.js';
import { nightscout } from './nightscout.js';
import { nightscoutCsv } from './nightscout-csv.js';
import { ohioXml } from './ohio-xml.js';
import { tidepool } from './tidepool.js';
import { FORMAT_IDS, type Detection, type FormatId, type Importer, type SourceFile } from './types.js';

// The API contract lists the format ids for the renderer (it may import only zod): keep both in step.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const formatListsAgree: Same<FormatId, z.infer<typeof ImportFormat>> = true;
void formatListsAgree;

export const IMPORTERS: readonly Importer[] = [
  dexcomClarity,
  libreView,
  nightscout,
  tidepool,
  ohioXml,
  glucoseMl,
  gluPredKit,
  seedCsv,
  medtronicCareLink,
  nightscoutCsv,
  genericCsv,
];

export function importerFor(id: FormatId): Importer {
  const imp = IMPORTERS.find((i) => i.id === id);
  if (imp === undefined) throw new StudioError('INVALID_INPUT', `Unknown format "${id}"; use one of ${FORMAT_IDS.join(', ')}.`);
  return imp;
}

export async function loadSourceFile(path: string): Promise<SourceFile> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new StudioError('INVALID_INPUT', `${path} is not a file.`, { file: path });
    size = s.size;
  } catch (e) {
    if (e instanceof StudioError) throw e;
    throw new StudioError('NOT_FOUND', `Cannot read ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  const name = basename(path);
  const stem = basename(path, extname(path));
  return { path, name, stem: stem.length > 0 ? stem : name, size, sample: await readSample(path) };
}

export interface FormatDecision {
  /** The format that will be used, or null when none fits. */
  format: FormatId | null;
  /** True when it came from --format / --mapping rather than detection. */
  forced: boolean;
  confidence: number;
  reasons: string[];
  /** Every format that recognised the content, best first. */
  candidates: Detection[];
}

/** Scores every importer on the file's first bytes; `force` and `mapping` override. */
export function decideFormat(file: SourceFile, force: FormatId | null, mapping: GenericMapping | null): FormatDecision {
  const candidates: Detection[] = [];
  for (const imp of IMPORTERS) {
    let d: Detection | null = null;
    try {
      d = imp.detect(file);
    } catch {
      d = null;
    }
    if (d !== null) candidates.push(d);
  }
  candidates.sort((a, b) => b.score - a.score);
  if (force === 'generic-csv' || (force === null && mapping !== null)) {
    if (mapping === null) throw new StudioError('INVALID_INPUT', 'The generic CSV format needs a column mapping (--mapping mapping.json).');
    const d = checkMapping(file, mapping);
    return {
      format: 'generic-csv',
      forced: true,
      confidence: 1,
      reasons: force === null ? ['--mapping given: generic CSV', ...d.reasons] : d.reasons,
      candidates,
    };
  }
  if (force !== null) {
    const det = candidates.find((c) => c.format === force);
    const reasons = [`format forced to ${force}`];
    if (det === undefined)
      reasons.push(candidates.length > 0 ? `detection would have chosen ${candidates[0]!.format}` : 'detection did not recognise the content');
    return { format: force, forced: true, confidence: det?.score ?? 0, reasons: [...reasons, ...(det?.reasons ?? [])], candidates };
  }
  const best = candidates[0];
  if (best === undefined || best.score < 0.5) {
    return {
      format: null,
      forced: false,
      confidence: 0,
      reasons: [
        'no known format recognised the first bytes (Clarity, LibreView, Medtronic CareLink, Nightscout JSON or CSV entries, Tidepool, OhioT1DM XML, Glucose-ML, GluPredKit, canonical CSV); for other CSVs give a column mapping',
      ],
      candidates,
    };
  }
  return { format: best.format, forced: false, confidence: best.score, reasons: best.reasons, candidates };
}

export * from './types.js';
export { GenericMappingSchema, readMappingFile, type GenericMapping, type GenericMappingInput } from './mapping.js';
