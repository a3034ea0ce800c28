import type { Command } from 'commander';
import { register as check } from './check.js';
import { register as datasets } from './datasets.js';
import { register as demo } from './demo.js';
import { register as importCommand } from './import.js';
import { register as info } from './info.js';
import { register as jobs } from './jobs.js';
import { register as models } from './models.js';
import { register as evaluate } from './evaluate.js';
import { register as predict } from './predict.js';
import { register as report } from './report.js';
import { register as runs } from './runs.js';
import { register as train } from './train.js';
import { register as serve } from './serve.js';
import { register as simulate } from './simulate.js';
import { register as splits } from './splits.js';

/** Every command group, in the order `--help` lists them. Add new groups here. */
export const COMMANDS: readonly ((program: Command) => void)[] = [
  info,
  demo,
  datasets,
  importCommand,
  simulate,
  check,
  splits,
  models,
  train,
  jobs,
  predict,
  evaluate,
  runs,
  report,
  serve,
];
