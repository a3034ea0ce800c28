import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/tmp.js';

// The layer rules live in eslint.config.js; these cases prove they fire on a wrong import
// and stay quiet on an allowed one, linting text as if it were a file inside the layer.
const eslint = new ESLint({ cwd: REPO_ROOT });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries (eslint no-restricted-imports)', () => {
  it('the engine never imports electron or src-main/app', async () => {
    expect(await boundaryErrors('src-main/engine/api/handlers/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await boundaryErrors('src-main/engine/store/x.ts', "import { x } from '../../app/menu.js';\nexport const a = x;\n")).toHaveLength(1);
    expect(await boundaryErrors('src-main/engine/api/x.ts', "import { Store } from '../store/index.js';\nexport const a = Store;\n")).toEqual([]);
  });

  it('lower layers never import api/', async () => {
    const wrong = "import type { QualityReport } from '../api/contract.js';\nexport type A = QualityReport;\n";
    for (const layer of ['data', 'metrics', 'onnx', 'ttm', 'sim', 'store', 'forecast', 'jobs', 'report']) {
      expect(await boundaryErrors(`src-main/engine/${layer}/x.ts`, wrong), layer).toHaveLength(1);
    }
    expect(
      await boundaryErrors('src-main/engine/data/quality/x.ts', "import type { A } from '../../api/handlers/context.js';\nexport type B = A;\n"),
    ).toHaveLength(1);
    expect(
      await boundaryErrors('src-main/engine/report/x.ts', "import type { QualityReport } from '../data/quality/schema.js';\nexport type A = QualityReport;\n"),
    ).toEqual([]);
    // The API layer itself and the top-level modules above it may.
    expect(await boundaryErrors('src-main/engine/forecasters.ts', "import type { ApiEvent } from './api/contract.js';\nexport type A = ApiEvent;\n")).toEqual(
      [],
    );
  });

  it('SQL stays in engine/store', async () => {
    const sqlErrors = async (filePath: string, code: string): Promise<number> => {
      const [result] = await eslint.lintText(code, { filePath });
      return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax').length;
    };
    const query = "import type { Store } from '../store/index.js';\nexport const n = (s: Store): unknown => s.db.prepare('SELECT 1').get();\n";
    expect(await sqlErrors('src-main/engine/report/x.ts', query)).toBe(1);
    expect(await sqlErrors('src-main/engine/api/handlers/x.ts', "import Database from 'better-sqlite3';\nexport const d = Database;\n")).toBe(1);
    expect(
      await sqlErrors(
        'src-main/engine/store/x.ts',
        "import type { Db } from './database.js';\nexport const n = (o: { db: Db }): unknown => o.db.prepare('SELECT 1').get();\n",
      ),
    ).toBe(0);
    expect(
      await sqlErrors(
        'src-main/engine/report/x.ts',
        "import type { Store } from '../store/index.js';\nexport const n = (s: Store): number => s.forecasts.count(1);\n",
      ),
    ).toBe(0);
  });

  it('the renderer imports from src-main only the declared shared modules', async () => {
    const file = 'src-renderer/lib/x.ts';
    expect(await boundaryErrors(file, "import { Store } from '../../src-main/engine/store/index.js';\nexport const a = Store;\n")).toHaveLength(1);
    expect(await boundaryErrors(file, "import { x } from '../../src-main/engine/api/contract/data.js';\nexport const a = x;\n")).toHaveLength(1);
    expect(await boundaryErrors(file, "import { x } from '../../src-main/app/preload.js';\nexport const a = x;\n")).toHaveLength(1);
    for (const ok of [
      'api/contract.js',
      'api/contract',
      'metrics/parkes',
      'metrics/clinical.js',
      'forecast/evaluation-report.js',
      'ttm/ttm-config.js',
      'units.js',
    ]) {
      expect(await boundaryErrors(file, `import { x } from '../../src-main/engine/${ok}';\nexport const a = x;\n`), ok).toEqual([]);
    }
  });
});
