import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomicSync } from '../engine/util/atomic-write.js';
import type { WindowBounds } from './window-policy.js';

const BoundsSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400).max(20000),
  height: z.number().int().min(300).max(20000),
  maximized: z.boolean().optional(),
});

export const DEFAULT_BOUNDS: WindowBounds = { width: 1280, height: 840 };

/** Window size and position from the last run; defaults when missing or unreadable. */
export function loadWindowBounds(file: string): WindowBounds {
  try {
    const parsed = BoundsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : DEFAULT_BOUNDS;
  } catch {
    return DEFAULT_BOUNDS;
  }
}

export function saveWindowBounds(file: string, bounds: WindowBounds): void {
  try {
    writeFileAtomicSync(file, JSON.stringify(bounds));
  } catch {
    // losing the window position is not worth interrupting shutdown for
  }
}
