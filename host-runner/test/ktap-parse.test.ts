import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKtap } from '../src/results/ktap-parse';

/** Shape of what tools/testing/selftests/kselftest_harness.h prints. */
const HARNESS = `TAP version 13
1..4
# Starting 4 tests from 1 test cases.
#  RUN           ffs.limit_default ...
#            OK  ffs.limit_default
ok 1 ffs.limit_default
#  RUN           ffs.ep0_enodev ...
# ffs_mmap_test.c:120:ep0_enodev:Expected ENODEV (19) == errno (12)
# ep0_enodev: Test failed
#          FAIL  ffs.ep0_enodev
not ok 2 ffs.ep0_enodev
#  RUN           ffs.aio_round_trip ...
#      SKIP      dummy_hcd absent
#            OK  ffs.aio_round_trip
ok 3 ffs.aio_round_trip # SKIP dummy_hcd absent
ok 4 - with dash # TODO later
# FAILED: 2 / 4 tests passed.
# Totals: pass:2 fail:1 xfail:0 xpass:0 skip:1 error:0
`;

describe('parseKtap', () => {
  it('reads the plan, each case with its status, reason and diagnostics', () => {
    const r = parseKtap(HARNESS);
    assert.equal(r.planned, 4);
    assert.deepEqual(r.cases.map((c) => [c.number, c.name, c.status]), [
      [1, 'ffs.limit_default', 'pass'],
      [2, 'ffs.ep0_enodev', 'fail'],
      [3, 'ffs.aio_round_trip', 'skip'],
      [4, 'with dash', 'pass'],
    ]);
    assert.equal(r.cases[2]!.reason, 'dummy_hcd absent');
    assert.ok(r.cases[1]!.diagnostics.some((d) => d.includes('Expected ENODEV')));
    assert.ok(!r.cases[0]!.diagnostics.some((d) => d.includes('ENODEV')), 'diagnostics belong to their own case');
  });

  it('reports a stream cut short: no plan, a bail-out', () => {
    const r = parseKtap('TAP version 13\nok 1 a\nBail out! mount failed\n');
    assert.equal(r.planned, undefined);
    assert.equal(r.cases.length, 1);
    assert.equal(r.bailOut, 'mount failed');
  });

  it('keeps nested subtests as diagnostics of the parent', () => {
    const r = parseKtap('KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    ok 1 inner\nok 1 outer\n');
    assert.equal(r.cases.length, 1);
    assert.equal(r.cases[0]!.name, 'outer');
    assert.ok(r.cases[0]!.diagnostics.includes('ok 1 inner'));
  });
});
