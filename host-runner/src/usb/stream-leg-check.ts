import type { StreamReport } from '@ffs-lab/contract/protocol';

/** One end's tally of a stream (what it sent, or what it received and checked). */
export type EndTally = StreamReport['sent'];

/**
 * What is wrong with one leg of a stream (a sender and the receiver that checked it): a missing
 * tally, a wrong byte, counts off the plan or each other, checksums apart. Names say who is who,
 * e.g. `gadget sent` / `host received`.
 */
export function legProblems(sName: string, s: EndTally, rName: string, r: EndTally, totalBytes: number, plannedTransfers: number): string[] {
  if (!s || !r) return [`missing tally (${sName}: ${s ? 'ok' : 'none'}, ${rName}: ${r ? 'ok' : 'none'})`];
  const p: string[] = [];
  if (r.firstBadOffset !== null) p.push(`${rName} a wrong byte stream: first bad offset ${r.firstBadOffset} (${r.fault}), ${r.badTransfers} bad transfer(s)`);
  if (s.bytes !== totalBytes) p.push(`${sName} ${s.bytes} bytes, planned ${totalBytes}`);
  if (r.bytes !== s.bytes) p.push(`${rName} ${r.bytes} bytes, ${sName} ${s.bytes}`);
  if (s.transfers !== plannedTransfers) p.push(`${sName} ${s.transfers} transfers, planned ${plannedTransfers}`);
  if (r.transfers !== s.transfers) p.push(`${rName} ${r.transfers} transfers, ${sName} ${s.transfers}`);
  if (r.checksum !== s.checksum) p.push(`checksums differ: ${sName} ${s.checksum}, ${rName} ${r.checksum}`);
  return p;
}
