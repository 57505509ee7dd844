import type { RunResults } from '../results/results';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import {
  BENCH_DIRECTIONS,
  BENCH_MODES,
  BENCH_STACKS,
  parseMeasurementName,
  parsePeerMeasurementName,
  PEER_SHAPES,
  type BenchCase,
  type PeerShape,
  type BenchDirection,
  type BenchMetric,
  type BenchStack,
} from './bench-case';
import { geomean, spreadOf, type Spread } from './bench-stats';

/** One stack's figures for one case, over its repetitions. */
export interface StackFigures {
  /** Bytes per second. */
  throughput: Spread;
  /** Gadget CPU seconds per GiB moved. */
  gadgetCpu: Spread;
  /** Host CPU seconds per GiB moved. */
  hostCpu: Spread;
}

/** One case of the grid with both stacks. */
export interface BenchRow extends BenchCase {
  ours?: StackFigures;
  c?: StackFigures;
  /** ours / C median throughput, when both ran. */
  throughputRatio?: number;
}

/** A ratio between two sets of figures: geometric mean over the cases both have. */
export interface RatioFigures {
  throughput?: number;
  gadgetCpu?: number;
  hostCpu?: number;
  /** Cases the means are over. */
  cases: number;
}

/** Our stack against the C pair, for one direction and mode. */
export interface StackRatio extends RatioFigures {
  direction: BenchDirection;
  mode: IoModeName;
}

/** Zero-copy (mmap) against copy mode, for one direction and stack. */
export interface ZeroCopyRatio extends RatioFigures {
  direction: BenchDirection;
  stack: BenchStack;
}

/** One peer shape: the foreign app, ours and the C pair, bytes per second over their repetitions. */
export interface PeerRow {
  shape: PeerShape;
  app?: Spread;
  ours?: Spread;
  c?: Spread;
  /** ours / app median throughput, when both ran. */
  oursOverApp?: number;
}

/** A reason cases did not run or failed, with how many it covers. */
export interface BenchNote {
  reason: string;
  count: number;
  /** One test it applied to, for orientation. */
  example: string;
}

/** Everything `ffs-lab bench` writes (bench.json), made from a results.json. */
export interface BenchReport {
  /** Free-form facts about the run: machine, accelerator, load, profile (the verb fills them in). */
  conditions: Record<string, string | number>;
  kernel: RunResults['kernel'];
  startedAt: string;
  durationMs: number;
  /** Most repetitions any case has. */
  reps: number;
  rows: BenchRow[];
  /** ours / C per direction and mode (throughput: above 1 means ours is faster; CPU: above 1 means ours costs more). */
  oursOverC: StackRatio[];
  /** mmap / copy per direction and stack (throughput: above 1 means zero-copy is faster; CPU: below 1 means it is cheaper). */
  mmapOverCopy: ZeroCopyRatio[];
  /** The kernel's ffs-aio-example apps beside ours and the C pair at their shapes (bench-case.ts PEER_SHAPES); empty when none ran. */
  peers: PeerRow[];
  skipped: BenchNote[];
  failed: BenchNote[];
}

type Key = string;
const keyOf = (c: BenchCase): Key => `${c.direction} ${c.mode} ${c.transferSize} ${c.depth}`;

/** Turn a run's results into the bench report (rows in grid order: direction, mode, size, depth). */
export function buildBenchReport(run: RunResults, conditions: Record<string, string | number> = {}): BenchReport {
  const values = new Map<Key, { c: BenchCase; by: Partial<Record<BenchStack, Record<BenchMetric, number[]>>> }>();
  let reps = 0;
  for (const t of run.tests) {
    for (const m of t.measurements ?? []) {
      const f = parseMeasurementName(m.name, m.value);
      if (!f) continue;
      const k = keyOf(f);
      const entry = values.get(k) ?? { c: { direction: f.direction, mode: f.mode, transferSize: f.transferSize, depth: f.depth }, by: {} };
      values.set(k, entry);
      const stack = (entry.by[f.stack] ??= { throughput: [], 'gadget CPU': [], 'host CPU': [] });
      stack[f.metric].push(f.value);
      reps = Math.max(reps, f.rep);
    }
  }
  const figures = (v: Record<BenchMetric, number[]> | undefined): StackFigures | undefined => {
    const throughput = spreadOf(v?.throughput ?? []);
    const gadgetCpu = spreadOf(v?.['gadget CPU'] ?? []);
    const hostCpu = spreadOf(v?.['host CPU'] ?? []);
    return throughput && gadgetCpu && hostCpu ? { throughput, gadgetCpu, hostCpu } : undefined;
  };
  const rows: BenchRow[] = [...values.values()]
    .map(({ c, by }) => {
      const ours = figures(by.ours);
      const cFig = figures(by.c);
      return {
        ...c,
        ...(ours ? { ours } : {}),
        ...(cFig ? { c: cFig } : {}),
        ...(ours && cFig && cFig.throughput.median > 0 ? { throughputRatio: ours.throughput.median / cFig.throughput.median } : {}),
      };
    })
    .sort(gridOrder);
  return {
    conditions,
    kernel: run.kernel,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    reps,
    rows,
    oursOverC: oursOverC(rows),
    mmapOverCopy: mmapOverCopy(rows),
    peers: peerRows(run),
    skipped: notes(run, 'skipped'),
    failed: notes(run, 'failed').concat(notes(run, 'error')),
  };
}

function gridOrder(a: BenchCase, b: BenchCase): number {
  return (
    BENCH_DIRECTIONS.indexOf(a.direction) - BENCH_DIRECTIONS.indexOf(b.direction) ||
    BENCH_MODES.indexOf(a.mode) - BENCH_MODES.indexOf(b.mode) ||
    a.transferSize - b.transferSize ||
    a.depth - b.depth
  );
}

/** Geometric means of num/den over pairs where both exist. */
function ratioOf(pairs: Array<[StackFigures | undefined, StackFigures | undefined]>): RatioFigures {
  const both = pairs.filter((p): p is [StackFigures, StackFigures] => Boolean(p[0] && p[1]));
  const r = (pick: (f: StackFigures) => Spread) => geomean(both.map(([n, d]) => pick(n).median / pick(d).median));
  const throughput = r((f) => f.throughput);
  const gadgetCpu = r((f) => f.gadgetCpu);
  const hostCpu = r((f) => f.hostCpu);
  return {
    ...(throughput !== undefined ? { throughput } : {}),
    ...(gadgetCpu !== undefined ? { gadgetCpu } : {}),
    ...(hostCpu !== undefined ? { hostCpu } : {}),
    cases: both.length,
  };
}

function oursOverC(rows: readonly BenchRow[]): StackRatio[] {
  const out: StackRatio[] = [];
  for (const direction of BENCH_DIRECTIONS) {
    for (const mode of BENCH_MODES) {
      const r = ratioOf(rows.filter((x) => x.direction === direction && x.mode === mode).map((x) => [x.ours, x.c]));
      if (r.cases > 0) out.push({ direction, mode, ...r });
    }
  }
  return out;
}

function mmapOverCopy(rows: readonly BenchRow[]): ZeroCopyRatio[] {
  const out: ZeroCopyRatio[] = [];
  for (const direction of BENCH_DIRECTIONS) {
    for (const stack of BENCH_STACKS) {
      const copy = new Map(rows.filter((x) => x.direction === direction && x.mode === 'copy').map((x) => [`${x.transferSize} ${x.depth}`, x[stack]]));
      const pairs = rows
        .filter((x) => x.direction === direction && x.mode === 'mmap')
        .map((x): [StackFigures | undefined, StackFigures | undefined] => [x[stack], copy.get(`${x.transferSize} ${x.depth}`)]);
      const r = ratioOf(pairs);
      if (r.cases > 0) out.push({ direction, stack, ...r });
    }
  }
  return out;
}

function peerRows(run: RunResults): PeerRow[] {
  const values = new Map<string, number[]>();
  for (const t of run.tests) {
    for (const m of t.measurements ?? []) {
      const f = parsePeerMeasurementName(m.name, m.value);
      if (!f) continue;
      const k = `${f.shape} ${f.stack}`;
      values.set(k, [...(values.get(k) ?? []), f.value]);
    }
  }
  const rows: PeerRow[] = [];
  for (const shape of PEER_SHAPES) {
    const app = spreadOf(values.get(`${shape} ffs-aio-example`) ?? []);
    const ours = spreadOf(values.get(`${shape} ours`) ?? []);
    const c = spreadOf(values.get(`${shape} c`) ?? []);
    if (!app && !ours && !c) continue;
    rows.push({ shape, ...(app ? { app } : {}), ...(ours ? { ours } : {}), ...(c ? { c } : {}), ...(app && ours && app.median > 0 ? { oursOverApp: ours.median / app.median } : {}) });
  }
  return rows;
}

function notes(run: RunResults, status: 'skipped' | 'failed' | 'error'): BenchNote[] {
  const by = new Map<string, BenchNote>();
  for (const t of run.tests.filter((x) => x.status === status)) {
    // Our figures' failures carry long messages; group by the first line.
    const reason = (t.reason ?? status).split('\n')[0]!;
    const n = by.get(reason);
    if (n) n.count++;
    else by.set(reason, { reason, count: 1, example: t.name });
  }
  return [...by.values()];
}
