/**
 * The page tests (page/*.test.ts, run in node and in Chromium) check the browser stand-ins and
 * the page's modules against vectors that node's own Buffer and zlib computed
 * (page/node-vectors.ts). This test computes them again with node and requires the committed
 * file to match, so the vectors stay node's truth. After a deliberate change of the cases
 * (page/vector-cases.ts), `FFS_LAB_WRITE_NODE_VECTORS=1 node --test
 * host-runner/dist/test/node-vectors.test.js` rewrites the file.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { NODE_VECTORS } from './page/node-vectors';
import { BUFFER_BYTES, CRC_BYTES, CRC_SEED, bufferBytes, compareInputs, copyInputs, crcInputs, patternPrefix, patternSamples, runTallyCase, type NodeVectors } from './page/vector-cases';
import { hex, vectorBytes } from './page/vector-data';

/** The source file of the vectors (this test runs from host-runner/dist/test/). */
const VECTORS_FILE = path.resolve(__dirname, '..', '..', '..', 'host-runner', 'test', 'page', 'node-vectors.ts');

function nodeVectors(): NodeVectors {
  const crcSource = vectorBytes(CRC_SEED, CRC_BYTES);
  const { source, target } = bufferBytes();
  const view = ([off, len]: [number, number]) => Buffer.from(source.buffer, source.byteOffset + off, len);
  return {
    crc32: crcInputs().map((c) => ({ ...c, crc: zlib.crc32(crcSource.subarray(c.offset, c.offset + c.length), c.initial) })),
    compare: compareInputs().map((c) => {
      let result: number | string;
      try {
        result = view(c.view).compare(target, ...c.args);
      } catch (err) {
        result = (err as Error).name;
      }
      return { ...c, result };
    }),
    copy: copyInputs().map((c) => {
      const into = new Uint8Array(c.targetLength);
      const copied = view(c.view).copy(into, ...c.args);
      return { ...c, copied, target: hex(into) };
    }),
    pattern: patternSamples(),
    patternCrc: zlib.crc32(patternPrefix()),
    tally: runTallyCase(),
  };
}

function source(v: NodeVectors): string {
  return [
    '// Computed by node (Buffer, zlib) in host-runner/test/node-vectors.test.ts: do not edit by hand.',
    "import type { NodeVectors } from './vector-cases';",
    '',
    `export const NODE_VECTORS: NodeVectors = ${JSON.stringify(v)};`,
    '',
  ].join('\n');
}

test('the page tests\' vectors are what node\'s Buffer and zlib compute', () => {
  const now = nodeVectors();
  if (process.env.FFS_LAB_WRITE_NODE_VECTORS === '1') fs.writeFileSync(VECTORS_FILE, source(now));
  assert.deepEqual(JSON.parse(JSON.stringify(NODE_VECTORS)), JSON.parse(JSON.stringify(now)), `${VECTORS_FILE} is stale: rewrite it with FFS_LAB_WRITE_NODE_VECTORS=1`);
  assert.ok(now.compare.some((c) => c.result === 'RangeError') && now.compare.some((c) => c.result === -1) && now.compare.some((c) => c.result === 1), 'the compare cases reach every outcome');
  assert.equal(BUFFER_BYTES, 96);
});
