import * as fs from 'node:fs';
import { native } from '@ffs-lab/native/bindings';
import { EndpointFile } from '@ffs-lab/native/endpoint-file';
import { pageSize } from '@ffs-lab/native/page-size';
import type { DmabufProbe } from '@ffs-lab/contract/dmabuf-protocol';

/** dummy_hcd's scatter-gather switch; only our lab-only dummy_hcd patch (0010) has it. */
const DUMMY_SG_PARAM = '/sys/module/dummy_hcd/parameters/sg_supported';

/**
 * Try FUNCTIONFS_DMABUF_ATTACH (then DETACH) of a one-page udmabuf on `endpointPath` of a bound
 * function. f_fs refuses with EPERM when the UDC lacks scatter-gather (`gadget->sg_supported`),
 * which stock dummy_udc does; the result says so in words a skip can carry, and whether the UDC
 * claims scatter-gather, in which case EPERM is a failure rather than a missing capability.
 */
export function probeDmabuf(endpointPath: string, udc: string): DmabufProbe {
  const param = fs.existsSync(DUMMY_SG_PARAM) ? fs.readFileSync(DUMMY_SG_PARAM, 'utf8').trim() : null;
  const dummySgParam = param === 'Y' || param === 'N' ? param : null;
  const isDummy = udc.startsWith('dummy_udc');
  let attach = 'ok';
  const made = native().udmabufCreate(pageSize());
  const file = new EndpointFile(endpointPath, true);
  try {
    native().dmabufAttach(file.fd, made.fd);
    native().dmabufDetach(file.fd, made.fd);
  } catch (err) {
    attach = (err as { code?: string }).code ?? 'INTERNAL';
  } finally {
    file.close();
    fs.closeSync(made.fd);
    fs.closeSync(made.memfd);
    native().munmapBuffer(made.buffer);
  }
  // Before 6.9 there are no DMABUF ioctls (ENOTTY, or EAGAIN from the wait-for-enable path):
  // an absence, whatever the UDC claims.
  const noIoctls = attach === 'ENOTTY' || attach === 'EAGAIN';
  const sgExpected = isDummy && dummySgParam === 'Y' && !noIoctls;
  const usable = attach === 'ok';
  let reason: string | undefined;
  if (!usable) {
    const why =
      noIoctls ? 'this kernel\'s FunctionFS has no DMABUF ioctls (added in Linux 6.9)'
      : attach !== 'EPERM' ? 'unexpected error'
      : !udc ? 'the function is not bound to a UDC (bind it first)'
      : !isDummy ? `UDC ${udc} does not do scatter-gather (gadget->sg_supported is 0)`
      : dummySgParam === null ? `${udc} lacks scatter-gather (stock dummy_hcd; the lab's patch 0014 adds it)`
      : dummySgParam === 'N' ? `${udc} runs with dummy_hcd.sg_supported=N`
      : `${udc} claims scatter-gather (sg_supported=Y)`;
    reason = `DMABUF attach: ${attach}: ${why}`;
  }
  return { attach, udc, dummySgParam, usable, sgExpected, ...(reason ? { reason } : {}) };
}
