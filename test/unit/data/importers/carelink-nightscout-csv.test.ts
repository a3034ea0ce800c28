/** The Medtronic CareLink CSV and Nightscout CSV entries importers. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFiles } from '../../../../src-main/engine/data/import-service.js';
import { StudioError } from '../../../../src-main/engine/errors.js';
import { READING_FLAGS } from '../../../../src-main/engine/store/readings.js';
import { LOCAL, MGDL, ofChannel, readAll, warningCodes } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttm-carelink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('Medtronic CareLink CSV importer', () => {
  const file = join(LOCAL, 'carelink-780g-eu.csv');

  it('is detected from the content: preamble, ";" separators, one section per device', async () => {
    const [d] = await detectFiles([file]);
    expect(d!.decision.format).toBe('medtronic-carelink');
    const reasons = d!.decision.reasons.join(' | ');
    expect(reasons).toContain('line 6 is a CareLink header');
    expect(reasons).toContain('separator ";"');
    expect(reasons).toContain('MiniMed 780G MMT-1886 Pump');
    expect(reasons).toContain('YYYY/MM/DD');
  });

  it('reads sensor glucose, meter BGs, boluses, wizard carbs and basal with temp basals from every section', async () => {
    const r = await readAll(file, { timeZone: 'Europe/Berlin' });
    expect(r.decision.format).toBe('medtronic-carelink');
    const cgm = ofChannel(r.rows, 'bg_mM').filter((x) => x.kind === 'cgm');
    // newest first in the file, local time UTC+1
    expect(cgm.map((x) => [x.datetime, Math.round(x.value * MGDL), x.utcOffsetMin, x.p_num])).toEqual([
      ['2024-03-01T07:15:00.000Z', 131, 60, 'carelink-780g-eu'],
      ['2024-03-01T07:10:00.000Z', 128, 60, 'carelink-780g-eu'],
      ['2024-03-01T07:05:00.000Z', 124, 60, 'carelink-780g-eu'],
      ['2024-03-01T07:00:00.000Z', 120, 60, 'carelink-780g-eu'],
    ]);
    const smbg = ofChannel(r.rows, 'bg_mM').filter((x) => x.kind === 'smbg');
    expect(smbg.map((x) => [x.datetime, Math.round(x.value * MGDL)])).toEqual([['2024-03-01T10:58:00.000Z', 112]]);
    // decimal commas; a square bolus keeps its duration; the aggregated daily total is not a dose
    expect(ofChannel(r.rows, 'bolus').map((x) => [x.datetime.slice(11, 16), x.value, x.durationMin, x.meta])).toEqual([
      ['11:30', 2, 60, { type: 'Square' }],
      ['11:00', 4.5, null, { type: 'Normal' }],
    ]);
    expect(ofChannel(r.rows, 'food_g').map((x) => [x.datetime.slice(11, 16), x.value])).toEqual([['10:59', 45]]);
    const rate = ofChannel(r.rows, 'rate')
      .map((x) => [x.datetime.slice(11, 16), Math.round(x.value * 1000) / 1000, x.durationMin, x.meta])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(rate).toEqual([
      ['05:00', 0.95, null, null],
      // the absolute temp 08:00–09:00 local takes over the scheduled change at 08:30, which resumes at its end
      ['07:00', 1.2, 60, { source: 'temp' }],
      ['08:00', 0.85, null, { source: 'scheduled', resumed: true }],
      // 50 % of the scheduled 0.85 U/h
      ['09:00', 0.425, 60, { source: 'temp', percent: 50 }],
      ['10:00', 0.85, null, { source: 'scheduled', resumed: true }],
      ['23:00', 0.7, null, null],
    ]);
    expect(r.notes.join(' ')).toContain('3 CareLink section(s)');
    expect(r.notes.join(' ')).toContain('1 row(s) of the "Aggregated Auto Insulin Data" section');
    expect(warningCodes(r)).toEqual({});
  });

  it('reads a US export: "," separators and MM/DD/YY dates settled by a day after the 12th', async () => {
    const p = write(
      'carelink-us.csv',
      [
        'Last Name,First Name,Patient ID,Start Date,End Date',
        'Sample,Pat,,03/13/24,03/14/24',
        'Device,MiniMed 630G MMT-1715,Serial Number,NG0000001H',
        '-------,MiniMed 630G MMT-1715,Pump,NG0000001H,-------',
        'Index,Date,Time,New Device Time,BG Reading (mg/dL),Basal Rate (U/h),Bolus Volume Delivered (U),BWZ Carb Input (grams),Sensor Glucose (mg/dL)',
        '3,03/14/24,08:10:00,,,,,,144',
        '2,03/14/24,08:05:00,,,,1.5,,',
        '1,03/13/24,23:00:00,,,0.65,,,',
      ].join('\n'),
    );
    const r = await readAll(p, { timeZone: 'America/Chicago' });
    expect(r.decision.format).toBe('medtronic-carelink');
    expect(ofChannel(r.rows, 'bg_mM').map((x) => [x.datetime, Math.round(x.value * MGDL)])).toEqual([['2024-03-14T13:10:00.000Z', 144]]);
    expect(ofChannel(r.rows, 'bolus').map((x) => x.value)).toEqual([1.5]);
    expect(ofChannel(r.rows, 'rate').map((x) => [x.datetime, x.value])).toEqual([['2024-03-14T04:00:00.000Z', 0.65]]);
  });

  it('refuses a file whose dates could be DD/MM or MM/DD, and reads it with --date-order', async () => {
    const p = write('carelink-ambiguous.csv', 'Index;Date;Time;Sensor Glucose (mg/dL)\n2;03/04/24;08:05:00;101\n1;03/04/24;08:00:00;99\n');
    const err = await readAll(p, { timeZone: 'UTC' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).message).toContain('--date-order');
    const r = await readAll(p, { timeZone: 'UTC', dateOrder: 'dmy' });
    expect(ofChannel(r.rows, 'bg_mM').map((x) => x.datetime)).toEqual(['2024-04-03T08:05:00.000Z', '2024-04-03T08:00:00.000Z']);
  });

  it('names the file and line of a bad glucose cell and of a bad date', async () => {
    const bad = write('carelink-bad.csv', 'Index;Date;Time;Sensor Glucose (mg/dL)\n2;2024/03/01;08:05:00;abc\n1;2024/03/01;08:00:00;99\n');
    const e1 = (await readAll(bad, { timeZone: 'UTC' }).catch((e: unknown) => e)) as StudioError;
    expect(e1).toBeInstanceOf(StudioError);
    expect(e1.message).toContain('carelink-bad.csv, line 2');
    expect(e1.message).toMatch(/Low, High, LO, HI/);
    const badDate = write('carelink-bad-date.csv', 'Index;Date;Time;Sensor Glucose (mg/dL)\n2;2024/03/01;08:05:00;100\n1;2024/13/45;08:00:00;99\n');
    const e2 = (await readAll(badDate, { timeZone: 'UTC' }).catch((e: unknown) => e)) as StudioError;
    expect(e2).toBeInstanceOf(StudioError);
    expect(e2.message).toContain('line 3');
  });
});

describe('Nightscout CSV entries importer', () => {
  const file = join(LOCAL, 'nightscout_entries.csv');

  it('is detected from headerless entry lines', async () => {
    const [d] = await detectFiles([file]);
    expect(d!.decision.format).toBe('nightscout-csv');
    expect(d!.decision.reasons.join(' ')).toContain('patient "nightscout"');
  });

  it('reads sgv in mg/dL at the epoch-ms instants; entries without sgv are skipped with a warning', async () => {
    const r = await readAll(file);
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => [x.datetime, Math.round(x.value * MGDL), x.p_num, x.utcOffsetMin, x.sourceRow, x.kind])).toEqual([
      ['2024-03-01T08:20:00.000Z', 118, 'nightscout', null, 1, 'cgm'],
      ['2024-03-01T08:15:00.000Z', 121, 'nightscout', null, 2, 'cgm'],
      ['2024-03-01T08:10:00.000Z', 126, 'nightscout', null, 3, 'cgm'],
      ['2024-03-01T08:05:00.000Z', 131, 'nightscout', null, 5, 'cgm'],
      ['2024-03-01T08:00:00.000Z', 133, 'nightscout', null, 6, 'cgm'],
    ]);
    expect(warningCodes(r)).toEqual({ entry_without_sgv: 1 });
    const withTz = await readAll(file, { timeZone: 'Europe/Oslo' });
    expect(ofChannel(withTz.rows, 'bg_mM')[0]!.utcOffsetMin).toBe(60);
  });

  it('keeps an offset written in the ISO time, reads markers, and names the line of a bad sgv', async () => {
    const p = write(
      'x_entries.csv',
      '"2024-03-01T09:05:00.000+01:00",1709280300000,LOW,"","x"\n"2024-03-01T09:00:00.000+01:00",1709280000000,39.6,"Flat","x"\n',
    );
    const r = await readAll(p);
    expect(r.decision.format).toBe('nightscout-csv');
    expect(ofChannel(r.rows, 'bg_mM').map((x) => [x.p_num, x.utcOffsetMin, Math.round(x.value * MGDL * 10) / 10, x.flags])).toEqual([
      ['x', 60, 40, READING_FLAGS.clampedLow],
      ['x', 60, 39.6, READING_FLAGS.clampedLow],
    ]);
    const bad = write('y_entries.csv', '"2024-03-01T08:00:00.000Z",1709280000000,120,"Flat","x"\n"2024-03-01T08:05:00.000Z",1709280300000,???,"Flat","x"\n');
    const err = (await readAll(bad).catch((e: unknown) => e)) as StudioError;
    expect(err).toBeInstanceOf(StudioError);
    expect(err.message).toContain('y_entries.csv, line 2');
  });
});
