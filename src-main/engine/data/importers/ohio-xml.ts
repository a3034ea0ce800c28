/**
 * OhioT1DM-style XML: `<patient id weight insulin_type>` with one child element per data
 * list (`<glucose_level>`, `<basal>`, `<bolus>`, `<meal>`…), each holding `<event …/>`
 * elements whose attributes carry the values. Timestamps are naive local time
 * `DD-MM-YYYY HH:MM:SS`. Read with a small streaming tag scanner: only tags and attributes
 * matter, there is no text content. It is faster than saxes and accepts truncated files and
 * bare ampersands, but does not decode numeric character references and misreads a `>` inside
 * an attribute value (OhioT1DM files have neither; docs/adr/0005).
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { StudioError } from '../../errors.js';
import { parseNumber } from '../csv.js';
import { parseByOrder } from '../time.js';
import { localToUtc, noteNaiveTimes, parseError, type Detection, type ImportContext, type Importer, type RecordSink, type SourceFile } from './types.js';

interface Tag {
  name: string;
  attrs: Map<string, string>;
  closing: boolean;
  selfClosing: boolean;
  line: number;
}

const ATTR = /([A-Za-z_][\w.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g;

function decodeEntities(s: string): string {
  return s.indexOf('&') === -1 ? s : s.replace(/&(lt|gt|amp|quot|apos);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);
}

function parseTag(body: string, line: number): Tag | null {
  if (body.startsWith('?') || body.startsWith('!')) return null;
  const closing = body.startsWith('/');
  const selfClosing = body.endsWith('/');
  const inner = body.slice(closing ? 1 : 0, selfClosing ? -1 : undefined).trim();
  const sp = inner.search(/\s/);
  const name = sp === -1 ? inner : inner.slice(0, sp);
  const attrs = new Map<string, string>();
  if (sp !== -1) {
    ATTR.lastIndex = 0;
    for (let m = ATTR.exec(inner); m !== null; m = ATTR.exec(inner)) attrs.set(m[1]!, decodeEntities(m[3] ?? m[4] ?? ''));
  }
  return { name, attrs, closing, selfClosing, line };
}

/** Streams the tags of an XML file; comments, declarations and text are skipped. Exported for the parser bench (docs/adr/0005). */
export async function streamXmlTags(
  path: string,
  onTag: (t: Tag) => boolean | void,
  options: { signal?: AbortSignal | undefined; onBytes?: (b: number) => void },
): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 1;
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted === true)
        throw options.signal.reason instanceof Error ? options.signal.reason : new StudioError('CANCELLED', 'Import was cancelled.');
      bytes += chunk.length;
      const text = carry + decoder.write(chunk);
      let pos = 0;
      for (;;) {
        const lt = text.indexOf('<', pos);
        if (lt === -1) {
          pos = text.length;
          break;
        }
        if (text.startsWith('<!--', lt)) {
          const end = text.indexOf('-->', lt);
          if (end === -1) break;
          line += countLines(text, pos, end + 3);
          pos = end + 3;
          continue;
        }
        const gt = text.indexOf('>', lt);
        if (gt === -1) break;
        line += countLines(text, pos, lt);
        const tag = parseTag(text.slice(lt + 1, gt).trim(), line);
        line += countLines(text, lt, gt);
        pos = gt + 1;
        if (tag !== null && onTag(tag) === false) return;
      }
      const rest = text.slice(pos);
      const lt = rest.indexOf('<');
      line += countLines(rest, 0, lt === -1 ? rest.length : lt);
      carry = lt === -1 ? '' : rest.slice(lt);
      if (carry.length > 1 << 20) throw new StudioError('PARSE', `line ${line}: an XML tag longer than 1 MB; the file is not OhioT1DM-style XML.`, { line });
      options.onBytes?.(bytes);
      await new Promise<void>((r) => setImmediate(r));
    }
    if ((carry + decoder.end()).trim().length > 0) throw new StudioError('PARSE', `line ${line}: the XML ends inside a tag.`, { line });
  } finally {
    stream.destroy();
  }
}

function countLines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Lists read into events; the others (sleep, work, stressors, basis_gsr…) are counted and skipped. */
const HANDLED = new Set(['glucose_level', 'finger_stick', 'basal', 'temp_basal', 'bolus', 'meal', 'exercise', 'basis_heart_rate', 'basis_steps']);

export const ohioXml: Importer = {
  id: 'ohiot1dm-xml',
  label: 'OhioT1DM-style XML',

  detect(file: SourceFile): Detection | null {
    const t = file.sample.text;
    const p = /<patient\b[^>]*\bid\s*=\s*["']([^"']*)["']/.exec(t);
    if (p === null) return null;
    const lists = [...HANDLED].filter((l) => t.includes(`<${l}>`) || t.includes(`<${l} `) || t.includes(`<${l}/>`));
    if (lists.length === 0 && !t.includes('<event')) return null;
    return {
      format: 'ohiot1dm-xml',
      score: 0.95,
      reasons: [`XML with <patient id="${p[1]}">`, lists.length > 0 ? `data lists: ${lists.join(', ')}` : 'event lists'],
    };
  },

  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) await importOne(file, ctx);
  },
};

async function importOne(file: SourceFile, ctx: ImportContext): Promise<void> {
  const sink = ctx.sinkFor(file);
  noteNaiveTimes(ctx, sink, file);
  let patient: string | null = null;
  let list: string | null = null;
  const skipped = new Map<string, number>();
  // Scheduled basal so far, to resume it when a temp basal ends.
  const scheduled: { ts: number; rate: number }[] = [];

  const time = (tag: Tag, attr: string, required = true): number => {
    const raw = tag.attrs.get(attr);
    if (raw === undefined || raw.length === 0) {
      if (!required) return Number.NaN;
      throw parseError(file, tag.line, `<event> in <${list ?? ''}> without ${attr}.`);
    }
    const local = parseByOrder(raw, 'dmy');
    if (local !== local) throw parseError(file, tag.line, `${attr}="${raw.slice(0, 40)}" is not DD-MM-YYYY HH:MM:SS.`);
    return localToUtc(ctx, sink, local, tag.line);
  };
  const num = (tag: Tag, attr: string): number => {
    const raw = tag.attrs.get(attr);
    if (raw === undefined || raw.length === 0) throw parseError(file, tag.line, `<event> in <${list ?? ''}> without ${attr}.`);
    const v = parseNumber(raw);
    if (v !== v) throw parseError(file, tag.line, `${attr}="${raw.slice(0, 40)}" is not a number.`);
    return v;
  };
  const optNum = (tag: Tag, attr: string): number | null => {
    const raw = tag.attrs.get(attr);
    if (raw === undefined || raw.length === 0) return null;
    const v = parseNumber(raw);
    return v === v ? v : null;
  };

  const onEvent = (tag: Tag, sinkRef: RecordSink): void => {
    const p = patient!;
    const line = tag.line;
    switch (list) {
      case 'glucose_level':
      case 'finger_stick': {
        const ts = time(tag, 'ts');
        sinkRef.glucose(p, ts, ctx.zone.offsetMin, list === 'glucose_level' ? 'cgm' : 'smbg', num(tag, 'value'), 'mg/dL', 0, line);
        return;
      }
      case 'basal': {
        const ts = time(tag, 'ts');
        const rate = num(tag, 'value');
        scheduled.push({ ts, rate });
        sinkRef.event(p, ts, ctx.zone.offsetMin, 'basal_rate', rate, null, null, line);
        return;
      }
      case 'temp_basal': {
        const begin = time(tag, 'ts_begin');
        const off = ctx.zone.offsetMin;
        const end = time(tag, 'ts_end');
        const endOff = ctx.zone.offsetMin;
        const rate = num(tag, 'value');
        sinkRef.event(p, begin, off, 'basal_rate', rate, Math.max(0, (end - begin) / 60_000), { source: 'temp' }, line);
        // The temp ends: the scheduled rate in force at its end applies again.
        let resume: number | null = null;
        for (const s of scheduled) if (s.ts <= end) resume = s.rate;
        if (resume !== null && end > begin) sinkRef.event(p, end, endOff, 'basal_rate', resume, null, { source: 'scheduled', resumed: true }, line);
        return;
      }
      case 'bolus': {
        const begin = time(tag, 'ts_begin');
        const off = ctx.zone.offsetMin;
        const end = time(tag, 'ts_end', false);
        const type = tag.attrs.get('type') ?? 'normal';
        const dur = end === end && end > begin ? (end - begin) / 60_000 : null;
        const meta: Record<string, unknown> = { type };
        const carbInput = optNum(tag, 'bwz_carb_input');
        if (carbInput !== null && carbInput > 0) meta.bwzCarbInput = carbInput;
        sinkRef.event(p, begin, off, 'bolus', num(tag, 'dose'), dur, meta, line);
        return;
      }
      case 'meal': {
        const ts = time(tag, 'ts');
        sinkRef.event(p, ts, ctx.zone.offsetMin, 'carbs', num(tag, 'carbs'), null, tag.attrs.has('type') ? { type: tag.attrs.get('type') } : null, line);
        return;
      }
      case 'exercise': {
        const ts = time(tag, 'ts');
        const intensity = optNum(tag, 'intensity');
        sinkRef.event(
          p,
          ts,
          ctx.zone.offsetMin,
          'exercise',
          intensity === null ? 0.5 : intensity / 10,
          optNum(tag, 'duration'),
          { intensity, type: tag.attrs.get('type') ?? null },
          line,
        );
        return;
      }
      case 'basis_heart_rate': {
        const ts = time(tag, 'ts');
        sinkRef.event(p, ts, ctx.zone.offsetMin, 'hr', num(tag, 'value'), null, null, line);
        return;
      }
      case 'basis_steps': {
        const ts = time(tag, 'ts');
        sinkRef.event(p, ts, ctx.zone.offsetMin, 'steps', num(tag, 'value'), 5, null, line);
        return;
      }
      default:
        skipped.set(list ?? '(none)', (skipped.get(list ?? '(none)') ?? 0) + 1);
    }
  };

  await streamXmlTags(
    file.path,
    (tag) => {
      if (tag.name === 'patient' && !tag.closing) {
        const id = tag.attrs.get('id');
        if (id === undefined || id.length === 0) throw parseError(file, tag.line, '<patient> without an id attribute.');
        patient = id;
        return;
      }
      if (tag.name === 'event' && !tag.closing) {
        if (patient === null || list === null) throw parseError(file, tag.line, '<event> outside a data list of <patient>.');
        if (HANDLED.has(list)) onEvent(tag, sink);
        else skipped.set(list, (skipped.get(list) ?? 0) + 1);
        return !sink.full;
      }
      if (patient !== null && tag.name !== 'event' && tag.name !== 'patient') {
        if (tag.closing) list = null;
        else if (!tag.selfClosing) list = tag.name;
      }
      return;
    },
    { signal: ctx.signal, onBytes: (b) => ctx.onBytes(file, b) },
  );
  if (patient === null) throw parseError(file, null, 'no <patient id="…"> element.');
  if (skipped.size > 0) sink.note(`${file.name}: lists not imported: ${[...skipped].map(([k, n]) => `${k} (${n})`).join(', ')}`);
}
