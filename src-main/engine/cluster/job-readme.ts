/**
 * The README of an exported job folder: the first thing a cluster user (or their data
 * protection officer) reads, so it opens with what the folder contains about people.
 */
import { formatBytes } from '../util/bytes.js';
import type { DataIndex, JobFile } from './job-files.js';

export function jobReadme(input: { job: JobFile; index: DataIndex; bytes: number; patients: number }): string {
  const { job, index } = input;
  const t = job.training;
  const val = index.parts.val;
  const days = (rows: number) => ((rows * index.resolutionMin) / 1440).toFixed(1);
  return `# TTM Studio cluster job: ${job.name}

**This folder contains patient data.** It holds glucose and treatment series of ${input.patients === 1 ? '1 person' : `${input.patients} people`} from the dataset
"${job.source.dataset.name}" (split "${job.source.split.name}" v${job.source.split.version}): the split's training part
(${index.parts.train.rows.toLocaleString('en-US')} rows of ${index.resolutionMin} minutes, ${days(index.parts.train.rows)} person-days)${
    val !== undefined ? ` and validation part (${val.rows.toLocaleString('en-US')} rows, ${days(val.rows)} person-days)` : ''
  }, identified by the patient ids used in the app. The test part is not here. Copy it only to machines where your
study's data-protection rules allow these data, and delete it (with output/) when the study no longer needs it.

Exported by TTM Studio ${job.appVersion} on ${job.createdAt}.

## What is here

| path | what |
| --- | --- |
| \`job.json\` | the training configuration (the app's TTMConfig and loop options, and the derived settings below) |
| \`base_model/\` | the network the job starts from, Hugging Face layout (config.json, model.safetensors) plus preprocessor.json |
| \`data/index.json\` | channels (${index.channels.map((c) => c.name).join(', ')}), the scaler fitted on the training part, series and window tables |
| \`data/*.values.f32\`, \`*.mask.u8\`, \`*.windows.i32\` | the series as raw little-endian arrays, readable with numpy alone (see \`layout\` in index.json); ${formatBytes(input.bytes)} |
| \`train_ttm.py\` | the training script (PyTorch DDP; granite-tsfm's TinyTimeMixerForPrediction) |
| \`launch.sh\`, \`slurm.sbatch\` | launch examples for torchrun (one or several nodes) and SLURM |
| \`requirements.txt\` | torch and granite-tsfm |

## The run

${t.mode === 'fine_tune' ? `Fine-tune of "${job.source.model?.name ?? 'the base model'}"${t.freezeBackbone ? ' with a frozen backbone' : ''}` : 'Training from scratch'}:
${index.parts.train.windowCount.toLocaleString('en-US')} training windows of ${index.contextLength} + ${index.forecastLength} steps, batch ${t.batchSize} windows per
optimizer step over all processes (${t.stepsPerEpoch.toLocaleString('en-US')} steps per epoch), ${t.numEpochs} epoch${t.numEpochs === 1 ? '' : 's'}${
    t.maxSteps !== null ? ` capped at ${t.maxSteps} steps` : ''
  } (${t.totalSteps.toLocaleString('en-US')} steps), AdamW at ${t.learningRate} with a ${t.schedule} schedule,
gradient clipping at ${t.gradientClipVal || 'none'}, weight decay ${t.weightDecay}, ${t.loss.kind} loss${
    t.lossStepWeights !== null ? ' weighted toward the first forecast steps' : ''
  }, seed ${t.seed}, early stopping after ${t.earlyStoppingPatience || 'never'}${t.earlyStoppingPatience ? ' validations without improvement' : ''}.
The job uses the app's windows, data order, loss, schedule, clipping, validation and best-checkpoint rule, so the
model it returns is the one the app would have trained (see docs/cluster.md in TTM Studio for the measured agreement).

## Commands

\`\`\`sh
python3 -m pip install -r requirements.txt                # torch and granite-tsfm, in a virtual environment

python3 train_ttm.py                                      # one process: CPU, or one GPU when CUDA is available
torchrun --standalone --nproc_per_node 4 train_ttm.py     # 4 GPUs on one machine (batch ${t.batchSize} / 4 per GPU)
NNODES=2 NPROC_PER_NODE=4 MASTER_ADDR=node1 ./launch.sh  # several machines: run on each with NODE_RANK=0,1,…
sbatch slurm.sbatch                                       # SLURM: edit the resource lines first
\`\`\`

The batch size is the number of windows per optimizer step over all processes; it must divide by the number of
processes, or pass \`--per-device-batch-size N\` (the global batch then becomes N × processes, which changes the run).
\`--max-steps N\` caps the steps. A job that stops (pre-emption, a node failure) continues from
\`output/checkpoints/last\` when started again with the same command; \`--restart\` starts over.

Rank 0 writes \`output/\`: \`checkpoints/best\` and \`checkpoints/last\` (Hugging Face layout, loadable with granite-tsfm's
\`TinyTimeMixerForPrediction\`), \`metrics.jsonl\` (one scalar per line), \`tensorboard/\` (\`tensorboard --logdir output/tensorboard\`),
\`result.json\` and \`check_forecasts.f32\`.

## Bringing the model back

Copy the whole folder (or at least \`job.json\`, \`data/\` and \`output/\`) back to the machine with TTM Studio, then:

\`\`\`sh
ttm-studio jobs import <this folder> [--name NAME]
\`\`\`

The import checks the checkpoint, recomputes the job's own forecasts of ${'a few'} validation windows and refuses the model if
they differ by more than 1e-4, registers the best checkpoint as a model and records the job as a run (its loss curve
appears in Train, the model in Forecast, Evaluate and Reports).
`;
}
