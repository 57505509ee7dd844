import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { effectiveDepth, slotBytes, transferCount } from '@ffs-lab/contract/stream-layout';
import { hostEndBytesInFlight } from '../src/usb/paired-stream';
import { HOST_MAX_BYTES_IN_FLIGHT } from '../src/usb/usb-stream';

const MiB = 1 << 20;

test("an echo's two host ends together stay within the host's URB budget; a source or sink end has all of it", () => {
  const shape = { transferSize: MiB, totalBytes: 64 * MiB };
  const depthOf = (kind: 'source' | 'sink' | 'echo', receiving: boolean) => effectiveDepth(8, transferCount(shape), slotBytes(shape, receiving, 512), hostEndBytesInFlight(kind));
  // 1 MiB transfers at depth 8 both ways asked usbfs for 16 MiB at once (LIBUSB_ERROR_NO_MEM in the lab).
  const echo = (depthOf('echo', true) + depthOf('echo', false)) * MiB;
  assert.ok(echo <= HOST_MAX_BYTES_IN_FLIGHT, `echo submits ${echo / MiB} MiB at once`);
  assert.ok(depthOf('echo', true) >= 4, 'each echo end still keeps several transfers in flight');
  assert.equal(hostEndBytesInFlight('source'), HOST_MAX_BYTES_IN_FLIGHT);
  assert.equal(hostEndBytesInFlight('sink'), HOST_MAX_BYTES_IN_FLIGHT);
});
