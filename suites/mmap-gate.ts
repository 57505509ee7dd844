import type { AgentClient } from '@ffs-lab/host-runner/agent/agent-client';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';

/**
 * The one skip reason of every mmap-dependent case on a kernel without the feature. `ffs-lab
 * compare` classifies tests skipped with a reason starting "mmap zero-copy:" as mmap-dependent.
 */
export const MMAP_ABSENT = 'mmap zero-copy: absent on this kernel';

/**
 * Whether the kernel under test maps FunctionFS data endpoint files: the runner's probe, or, where
 * that is `unknown` (a target without the lab's probe), the agent's own try on a probe mount:
 * one page on ep1 maps (present) or fails with ENODEV (absent).
 */
export async function mmapPresence(agent: () => Promise<AgentClient>): Promise<'present' | 'absent' | 'unknown'> {
  const known = labContext().kernel.features.mmap;
  if (known !== 'unknown') return known;
  const a = await agent();
  const m = await a.call('mmap.mount', {});
  try {
    const { fd } = await a.call('mmap.open', { mount: m.id, file: 'ep1' });
    await a.call('mmap.buffer', { kind: 'mapping', fd, bytes: 4096 });
    return 'present';
  } catch (err) {
    return (err as { code?: string }).code === 'ENODEV' ? 'absent' : 'unknown';
  } finally {
    await a.call('mmap.unmount', { id: m.id });
  }
}

/**
 * The gate's verdict: undefined when mmap cases should run; otherwise the skip reason, and
 * whether that absence is a failure (the kernel is expected to have the feature).
 */
export function mmapGate(presence: 'present' | 'absent' | 'unknown'): { skip: string; failure?: string } | undefined {
  if (presence === 'present') return undefined;
  const expected = labContext().kernel.expected?.mmap === 'present';
  const skip = presence === 'absent' ? MMAP_ABSENT : `mmap zero-copy: unknown on this kernel (probe: ${labContext().kernel.features.mmapProbe})`;
  return expected ? { skip, failure: `${skip}, but this kernel is expected to have it` } : { skip };
}

/**
 * What the mutate-after-submit probe can see of an IN transfer whose path the rules say is
 * `rule`. With every DMA mapping bounced (KernelFeatures.dmaBounce: swiotlb=force and a UDC that
 * maps its requests), the controller reads the bounce buffer filled at submit, so the probe sees
 * the copy path whatever FunctionFS did; `note` says so for the report.
 */
export function observablePath(rule: 'zero-copy' | 'copy'): { path: 'zero-copy' | 'copy'; note?: string } {
  if (rule === 'zero-copy' && labContext().kernel.features.dmaBounce) {
    return { path: 'copy', note: 'the DMA layer bounces every mapping here (swiotlb=force): the controller sends the bounce buffer filled at submit, so a zero-copy transfer looks copied; only integrity is checked' };
  }
  return { path: rule };
}
