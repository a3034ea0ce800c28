/**
 * `npm run bench [-- [--quick] [--json] [section …]]`: one command, one table. Each section
 * measures what it measures in this run (medians with spread over repeats); ratios between
 * figures of the same run are comparable across machines, absolute figures are not.
 */
import { arch, cpus, totalmem } from 'node:os';
import type { BenchContext, BenchRow } from './harness.js';
import { BENCH_SECTIONS } from './sections/index.js';

interface Args {
  quick: boolean;
  json: boolean;
  sections: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const out: Args = { quick: false, json: false, sections: [] };
  for (const a of argv) {
    if (a === '--quick') out.quick = true;
    else if (a === '--json') out.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run bench -- [--quick] [--json] [${Object.keys(BENCH_SECTIONS).join('|')} …]\n`);
      process.exit(0);
    } else if (a in BENCH_SECTIONS) out.sections.push(a);
    else {
      process.stderr.write(`bench: unknown section or flag "${a}"; sections: ${Object.keys(BENCH_SECTIONS).join(', ')}\n`);
      process.exit(2);
    }
  }
  return out;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

function renderTable(rows: readonly BenchRow[]): string {
  const head = ['section', 'measure', 'median', 'unit', 'spread', 'n', 'peak RSS', 'note'];
  const cells = rows.map((r) => [
    r.section,
    r.name,
    fmt(r.value),
    r.unit,
    `±${(r.spread * 50).toFixed(1)}%`,
    String(r.repeats),
    r.peakRssBytes === undefined ? '' : `${Math.round(r.peakRssBytes / 1048576)} MiB`,
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const right = new Set([2, 4, 5, 6]);
  const line = (c: readonly string[]): string =>
    c
      .map((x, i) => (right.has(i) ? x.padStart(widths[i]!) : x.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = args.sections.length > 0 ? args.sections : Object.keys(BENCH_SECTIONS);
  const ctx: BenchContext = { quick: args.quick, log: (l) => process.stderr.write(l + '\n') };
  const rows: BenchRow[] = [];
  for (const name of chosen) {
    ctx.log(`== ${name}`);
    const t0 = performance.now();
    // Peak RSS of this process while the section runs, sampled; sections that know better
    // (e.g. a child process's memory) report their own.
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    let sectionRows: BenchRow[];
    try {
      sectionRows = await BENCH_SECTIONS[name]!(ctx);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    rows.push(...sectionRows.map((r) => (r.peakRssBytes === undefined ? { ...r, peakRssBytes: peak } : r)));
    ctx.log(`   (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    arch: arch(),
    node: process.versions.node,
  };
  if (args.json) process.stdout.write(JSON.stringify({ machine, quick: args.quick, rows }, null, 2) + '\n');
  else
    process.stdout.write(
      `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}${args.quick ? ' (quick)' : ''}\n` +
        renderTable(rows) +
        '\n(spread: half the max−min range over the repeats, relative to the median; peak RSS: this process while the section ran, workers not included unless the section says so)\n',
    );
}

await main();
