import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { AgentClient } from '../src/agent/agent-client';
import type { StreamReport } from '@ffs-lab/contract/protocol';
import { pairedProblems, runWebUsbPairedStream } from '../src/webusb/webusb-paired-stream';
import type { WebUsbHost } from '../src/webusb/webusb-host';
import type { WebUsbStreamReport, WebUsbStreamRequest } from '../src/webusb/webusb-request';

const TALLY = { bytes: 2047, transfers: 4, checksum: 'abcd0123', firstBadOffset: null, badTransfers: 0 };

function agentReport(over: Partial<StreamReport> = {}): StreamReport {
  return { id: 1, kind: 'source', mode: 'aio', state: 'done', shape: { transferSize: 512, totalBytes: 2047 }, sent: { ...TALLY }, elapsedMs: 1, cpuUserMs: 0, cpuSystemMs: 0, rssStartBytes: 0, rssPeakBytes: 0, ...over } as StreamReport;
}

function hostReport(over: Partial<WebUsbStreamReport> = {}): WebUsbStreamReport {
  return { host: 'Chromium 1', direction: 'in', depth: 4, maxPacketSize: 512, endpointNumber: 1, plannedTransfers: 4, tally: { ...TALLY }, elapsedMs: 1, bytesPerSecond: 1, oracleMs: 0, ...over };
}

test('pairedProblems: a perfect stream has none; each disagreement is named', () => {
  const shape = { transferSize: 512, totalBytes: 2047 };
  const o = { kind: 'source' as const, totalBytes: 2047 };
  assert.deepEqual(pairedProblems(o, shape, agentReport(), hostReport()), []);
  const bad = pairedProblems(o, shape, agentReport({ state: 'failed', error: { code: 'EIO', message: 'io' } }), hostReport({ error: { code: 'TIMEOUT', message: 'late' }, tally: { ...TALLY, bytes: 1000, transfers: 2, checksum: 'ffffffff', firstBadOffset: 700, fault: 'byte 0x00, expected 0x01 (transfer 1)', badTransfers: 1 } }));
  assert.deepEqual(bad, [
    'agent stream failed: EIO: io',
    'Chromium 1 IN end: TIMEOUT: late',
    'Chromium 1 received a wrong byte stream: first bad offset 700 (byte 0x00, expected 0x01 (transfer 1)), 1 bad transfer(s)',
    'Chromium 1 received 1000 bytes, gadget sent 2047',
    'Chromium 1 received 2 transfers, gadget sent 4',
    'checksums differ: gadget sent abcd0123, Chromium 1 received ffffffff',
  ]);
  const sink = pairedProblems({ kind: 'sink', totalBytes: 2047 }, shape, agentReport({ kind: 'sink', sent: undefined, received: { ...TALLY } }), hostReport({ direction: 'out', tally: { ...TALLY, bytes: 2046 } }));
  assert.deepEqual(sink, ['Chromium 1 sent 2046 bytes, planned 2047', 'gadget received 2047 bytes, Chromium 1 sent 2046']);
  assert.deepEqual(pairedProblems({ kind: 'sink', totalBytes: 2047 }, shape, agentReport({ kind: 'sink', sent: undefined }), hostReport({ direction: 'out' })), ['missing tally (Chromium 1 sent: ok, gadget received: none)']);
});

/** An agent double: records calls; its stream reports `state` from stream.status and the final report from wait/stop. */
function fakeAgent(final: StreamReport, status: 'running' | 'failed' = 'running') {
  const calls: Array<[string, unknown]> = [];
  const agent = {
    call: async (method: string, params: unknown) => {
      calls.push([method, params]);
      if (method === 'stream.start') return { id: 7 };
      if (method === 'stream.status') return { ...final, state: status, ...(status === 'failed' ? { error: { code: 'ENOMEM', message: 'no buffers' } } : {}) };
      return final;
    },
  } as unknown as AgentClient;
  return { agent, calls };
}

function fakeHost(run: (req: WebUsbStreamRequest, signal?: AbortSignal) => Promise<WebUsbStreamReport>): WebUsbHost {
  return { name: 'Chromium 1', stream: run, grantedDevices: async () => [], close: async () => undefined };
}

const OPTS = { kind: 'source' as const, mode: 'aio' as const, depth: 8, hostDepth: 2, seed: 42, timeoutMs: 5000, match: { vendorId: 1, productId: 2, serialNumber: 's' }, transferSize: 512, totalBytes: 2047 };

test('runWebUsbPairedStream: both ends told the same shape and seed; the agent waited for; no problems', async () => {
  const { agent, calls } = fakeAgent(agentReport());
  let asked: WebUsbStreamRequest | undefined;
  const r = await runWebUsbPairedStream(agent, fakeHost(async (req) => ((asked = req), hostReport())), OPTS);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(calls[0], ['stream.start', { kind: 'source', mode: 'aio', transferSize: 512, totalBytes: 2047, depth: 8, seed: 42, timeoutMs: 5000 }]);
  assert.deepEqual(asked, { transferSize: 512, totalBytes: 2047, match: OPTS.match, direction: 'in', seed: 42, depth: 2, timeoutMs: 5000 });
  assert.equal(calls.at(-1)![0], 'stream.wait');
});

test('runWebUsbPairedStream: a host that throws is a failed host end, and the agent stream is stopped', async () => {
  const { agent, calls } = fakeAgent(agentReport({ state: 'failed', error: { code: 'ECONNRESET', message: 'stopped' } }));
  const r = await runWebUsbPairedStream(agent, fakeHost(async () => Promise.reject(new Error('Target page, context or browser has been closed'))), OPTS);
  assert.equal(r.host.error?.code, 'HOST');
  assert.equal(calls.at(-1)![0], 'stream.stop');
  assert.ok(r.problems.includes('Chromium 1 IN end: HOST: Target page, context or browser has been closed'), r.problems.join('; '));
});

test('runWebUsbPairedStream: when the agent stream fails, the host end is aborted with the agent\'s error', async () => {
  const { agent } = fakeAgent(agentReport({ state: 'failed', error: { code: 'ENOMEM', message: 'no buffers' } }), 'failed');
  const r = await runWebUsbPairedStream(
    agent,
    fakeHost(
      (_req, signal) =>
        new Promise((resolve) =>
          signal!.addEventListener('abort', () => resolve(hostReport({ error: { code: 'ABORTED', message: `aborted: ${(signal!.reason as Error).message}` }, tally: { ...TALLY, bytes: 0, transfers: 0 } })), { once: true }),
        ),
    ),
    OPTS,
  );
  assert.equal(r.host.error?.code, 'ABORTED');
  assert.match(r.host.error?.message ?? '', /the agent's stream failed: ENOMEM: no buffers/);
  assert.ok(r.problems[0]?.startsWith('agent stream failed: ENOMEM'), r.problems.join('; '));
});
