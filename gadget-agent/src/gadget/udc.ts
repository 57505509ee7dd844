import * as fs from 'node:fs';
import { AgentError } from '../session/agent-error';

const UDC_CLASS = '/sys/class/udc';

/** Names of the USB device controllers present (e.g. `dummy_udc.0`, `fe980000.usb`). */
export function listUdcs(): string[] {
  try {
    return fs.readdirSync(UDC_CLASS).sort();
  } catch {
    return [];
  }
}

/** The UDC to bind: the one asked for (must exist), or the only one present. */
export function pickUdc(wanted?: string): string {
  const all = listUdcs();
  if (wanted) {
    if (!all.includes(wanted)) throw new AgentError('NO_UDC', `UDC '${wanted}' not found (present: ${all.join(', ') || 'none'})`);
    return wanted;
  }
  if (all.length === 1) return all[0]!;
  if (all.length === 0) throw new AgentError('NO_UDC', 'no USB device controller in /sys/class/udc (is the UDC driver loaded?)');
  throw new AgentError('NO_UDC', `several UDCs present (${all.join(', ')}): name one`);
}
