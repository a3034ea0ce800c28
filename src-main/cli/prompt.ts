import { createInterface } from 'node:readline/promises';
import { StudioError } from '../engine/errors.js';

export async function confirm(question: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) {
    throw new StudioError('INVALID_INPUT', `${question} — not on a terminal, so nothing was done; pass --yes to confirm.`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
