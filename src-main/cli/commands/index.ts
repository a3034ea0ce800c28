import type { Command } from 'commander';
import { register as datasets } from './datasets.js';
import { register as importCommand } from './import.js';
import { register as info } from './info.js';
import { register as serve } from './serve.js';

/** Every command group, in the order `--help` lists them. Add new groups here. */
export const COMMANDS: readonly ((program: Command) => void)[] = [info, datasets, importCommand, serve];
