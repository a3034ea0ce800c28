#!/usr/bin/env node
// Thin launcher: the CLI is compiled to build/ by `npm run build:main` (run by `npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../build/src-main/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ttm-studio: the CLI is not built yet; run `npm run build:main` (or `npm install`) in the project folder.\n');
  process.exit(70);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
