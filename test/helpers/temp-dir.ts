import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './tmp.js';

/**
 * Registers beforeAll/afterAll hooks that make a fresh temporary directory for the file's
 * tests and remove it afterwards; read `.dir` inside tests and later hooks.
 */
export function useTempDir(prefix = 'ttm-studio-test-'): { readonly dir: string } {
  let made: { dir: string; cleanup: () => void } | null = null;
  beforeAll(() => {
    made = tempDir(prefix);
  });
  afterAll(() => made?.cleanup());
  return {
    get dir(): string {
      if (made === null) throw new Error('the temporary directory is made in beforeAll');
      return made.dir;
    },
  };
}
