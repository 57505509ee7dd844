import assert from 'node:assert/strict';
import { test } from 'node:test';
import { portNamesMatch } from '../src/usb/usb-port';
import { USB_PORT_PATTERN } from '../src/config/lab-config-schema';
import { combinedExitCode } from '../src/run/parallel-targets';

test('a port is matched by its sysfs name or its udev ID_PATH, an interface suffix ignored, hub levels kept', () => {
  const hubbed = 'pci-0000:00:14.0-usb-0:2.3';
  assert.ok(portNamesMatch('1-2.3', hubbed, '1-2.3'));
  assert.ok(portNamesMatch('1-2.3', hubbed, hubbed));
  assert.ok(portNamesMatch('1-2.3', hubbed, `${hubbed}:1.0`));
  assert.ok(!portNamesMatch('1-2.3', hubbed, 'pci-0000:00:14.0-usb-0:2'), 'the hub, not the port on it');
  assert.ok(!portNamesMatch('1-2.3', hubbed, '1-2'));
  assert.ok(!portNamesMatch('1-2', 'pci-0000:00:14.0-usb-0:2', hubbed));
  assert.ok(portNamesMatch('3-1', 'platform-dummy_hcd.1-usb-0:1', 'platform-dummy_hcd.1-usb-0:1:1.0'));
  assert.ok(!portNamesMatch('3-1', undefined, 'platform-dummy_hcd.1-usb-0:1'), 'a device sysfs no longer has');
  for (const ok of ['1-2.3', '10-1', hubbed, `${hubbed}:1.0`, 'platform-dummy_hcd.0-usb-0:1']) assert.match(ok, USB_PORT_PATTERN);
  for (const bad of ['1', '1-', 'usb1', 'pci-0000:00:14.0', '1-2.3 ']) assert.doesNotMatch(bad, USB_PORT_PATTERN);
});

test('several runs end with the worst exit code: interrupted, then infrastructure, then a failure, then usage; all-skipped only when every run skipped', () => {
  assert.equal(combinedExitCode([0, 0]), 0);
  assert.equal(combinedExitCode([0, 4]), 0);
  assert.equal(combinedExitCode([4, 4]), 4);
  assert.equal(combinedExitCode([0, 1, 4]), 1);
  assert.equal(combinedExitCode([1, 3]), 3);
  assert.equal(combinedExitCode([2, 1]), 1);
  assert.equal(combinedExitCode([3, 130, 1]), 130);
  assert.equal(combinedExitCode([0, 7]), 3, 'an unknown code counts as infrastructure');
});
