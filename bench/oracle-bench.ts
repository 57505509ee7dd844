/**
 * Integrity-oracle throughput on this host: fill and verify of the stream pattern, per core.
 * Prints GB/s; the goal is >= 4 GB/s per core for verify so checking never limits a USB link.
 * Usage: node bench/dist/oracle-bench.js [MiB per pass, default 64] [passes, default 8]
 */
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';

const size = Number(process.argv[2] ?? 64) << 20;
const passes = Number(process.argv[3] ?? 8);
const buf = Buffer.alloc(size);

function rate(name: string, fn: (pass: number) => void): number {
  fn(0);
  const t0 = process.hrtime.bigint();
  for (let i = 1; i <= passes; i++) fn(i);
  const gbps = (size * passes) / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e9;
  process.stdout.write(`${name.padEnd(34)} ${gbps.toFixed(2)} GB/s\n`);
  return gbps;
}

process.stdout.write(`oracle benchmark: ${size >> 20} MiB x ${passes} passes, one core, node ${process.version}\n`);
rate('fill (stream offset advancing)', (i) => fillPattern(buf, 7, i * size + 3));
fillPattern(buf, 7, 3);
const v = rate('verify (all bytes match)', () => {
  if (verifyPattern(buf, 7, 3) !== -1) throw new Error('pattern mismatch in the benchmark itself');
});
process.stdout.write(`verify target >= 4 GB/s per core: ${v >= 4 ? 'met' : 'NOT met'}\n`);
