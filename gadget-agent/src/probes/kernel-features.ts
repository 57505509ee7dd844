import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { AgentError } from '../session/agent-error';
import { ConfigfsGadget } from '../gadget/configfs-gadget';
import type { KernelFeatures } from '@ffs-lab/contract/protocol';

interface ProbeOutcome {
  ok?: boolean;
  errno?: string;
}

/** dummy_hcd's dma mode switch (our lab-only patch): Y when it maps requests through the DMA API. */
const DUMMY_DMA_PARAM = '/sys/module/dummy_hcd/parameters/dma';

/** See KernelFeatures.dmaBounce: swiotlb=force on the command line, and a UDC that maps its requests. */
function dmaBounces(): boolean {
  const forced = fs.readFileSync('/proc/cmdline', 'utf8').split(/\s+/).includes('swiotlb=force');
  let dummyCopies: boolean;
  try {
    dummyCopies = fs.readFileSync(DUMMY_DMA_PARAM, 'utf8').trim() !== 'Y';
  } catch {
    // No such switch: a stock dummy_hcd (copies, maps nothing) when dummy_udc is the UDC, else hardware.
    dummyCopies = fs.existsSync('/sys/module/dummy_hcd');
  }
  return forced && !dummyCopies;
}

/**
 * Probe what the kernel's FunctionFS offers on a throwaway, unbound function: mmap on a data
 * endpoint (present / ENODEV = absent), mmap on ep0, and whether FUNCTIONFS_DMABUF_ATTACH exists.
 * `probe` is the lab's ffs-features binary; the function is removed afterwards in every case.
 */
export function probeKernelFeatures(probe: string): KernelFeatures {
  if (!fs.existsSync(probe)) throw new AgentError('ENOENT', `feature probe not found: ${probe}`);
  const gadget = new ConfigfsGadget({
    name: 'probe', vendorId: 0x1d6b, productId: 0x0104, manufacturer: 'ffs-lab', product: 'probe', serial: 'probe', function: 'ffslab_probe',
  });
  try {
    gadget.create();
    const r = spawnSync(probe, [gadget.mountPoint!], { encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new AgentError('INTERNAL', `feature probe failed: ${(r.stderr || '').trim() || `exit ${r.status}`}`);
    const out = JSON.parse(r.stdout) as Record<string, ProbeOutcome>;
    const name = (o: ProbeOutcome | undefined) => (o?.ok ? 'ok' : o?.errno ?? 'unknown');
    const mmap = name(out.mmapEp1);
    const dmabuf = name(out.dmabufAttach);
    return {
      mmap: mmap === 'ok' ? 'present' : mmap === 'ENODEV' ? 'absent' : 'unknown',
      mmapProbe: mmap,
      ep0MmapProbe: name(out.mmapEp0),
      // ENODEV: our series' ATTACH on an unbound function. EAGAIN: a kernel without DMABUF (< 6.9)
      // routed the ioctl to its wait-for-enable path.
      dmabuf: ['ok', 'EPERM', 'EBADF', 'ENODEV'].includes(dmabuf) ? 'present' : ['ENOTTY', 'EINVAL', 'EAGAIN'].includes(dmabuf) ? 'absent' : 'unknown',
      dmabufProbe: dmabuf,
      dmaBounce: dmaBounces(),
    };
  } finally {
    gadget.remove();
  }
}
