import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProgramOutput } from '../src/programs/program-output';

test('a line written in pieces is kept whole, per stream', () => {
  const out = new ProgramOutput();
  out.write('stderr', 'ffs-test: err:  ');
  out.write('stdout', 'info: ep1 ');
  out.write('stderr', 'bad OUT byte 4242, expected 00 got 5a');
  out.write('stdout', 'starts\n');
  out.write('stderr', '\n');
  assert.deepEqual(out.lines(), ['info: ep1 starts', 'ffs-test: err:  bad OUT byte 4242, expected 00 got 5a']);
});

test('a report followed by a dump longer than the tail survives it', () => {
  const out = new ProgramOutput(4, 3);
  out.write('stderr', 'ep0: starts\nbad OUT byte 7\n');
  for (let i = 0; i < 300; i++) out.write('stderr', `${i}: 00 00 00\n`);
  const lines = out.lines();
  assert.ok(lines.includes('bad OUT byte 7'));
  assert.deepEqual(lines, ['ep0: starts', 'bad OUT byte 7', '0: 00 00 00', '1: 00 00 00', '[... 295 line(s) not kept ...]', '297: 00 00 00', '298: 00 00 00', '299: 00 00 00']);
});

test('end() keeps an unfinished last line; blank lines and CRs are not kept', () => {
  const out = new ProgramOutput();
  out.write('stdout', 'one\r\n\n\ntwo');
  assert.deepEqual(out.lines(), ['one']);
  out.end();
  assert.deepEqual(out.lines(), ['one', 'two']);
  out.end();
  assert.deepEqual(out.lines(), ['one', 'two']);
});
