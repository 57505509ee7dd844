import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { dmabufExpected } from '../src/guest/guest-run';

test('DMABUF is expected from Linux 6.9 on', () => {
  assert.equal(dmabufExpected('6.12.117-ffslab'), 'present');
  assert.equal(dmabufExpected('6.9.0'), 'present');
  assert.equal(dmabufExpected('6.1.192-ffslab'), 'absent');
  assert.equal(dmabufExpected('5.15.0'), 'absent');
});
