// Writes docs/cli.md from the CLI's own command definitions (run after `npm run build:main`).
import { writeFileSync } from 'node:fs';

const { buildProgram } = await import('../build/src-main/cli/main.js');
const { cliReferenceMarkdown } = await import('../build/src-main/cli/reference.js');
writeFileSync(new URL('../docs/cli.md', import.meta.url), cliReferenceMarkdown(buildProgram()));
