import { describe, expect, it } from 'vitest';
import { emptyFiles, importWarningText } from '../../../src-renderer/lib/import-words.js';

describe('import messages in the words of the window', () => {
  it('never tells a window user about --tz', () => {
    const engine = {
      code: 'assumed_utc',
      message: 'a.csv has local timestamps without a zone; they were read as UTC. Re-import with --tz <IANA zone> (e.g. Europe/Oslo) for correct instants.',
    };
    expect(importWarningText(engine, 'a.csv', false)).toBe(
      'a.csv has local timestamps without a zone; they are read as UTC. Choose “Time zone of local timestamps” above (and import again) for correct instants.',
    );
    expect(importWarningText(engine, 'a.csv', true)).not.toContain('--tz');
    const other = { code: 'x', message: 'b.csv: odd offsets. Re-import with --tz <IANA zone> (e.g. Europe/Oslo) to fix.' };
    expect(importWarningText(other, 'b.csv', false)).toBe(
      'b.csv: odd offsets. Choose “Time zone of local timestamps” in the import form and import again to fix.',
    );
    expect(importWarningText({ code: 'clamped_low', message: 'Low readings stored at 40 mg/dL.' }, 'c.csv', false)).toBe('Low readings stored at 40 mg/dL.');
  });

  it('names empty files', () => {
    expect(
      emptyFiles([
        { file: 'empty.csv', bytes: 0 },
        { file: 'full.csv', bytes: 10 },
      ]),
    ).toEqual(['empty.csv']);
  });
});
