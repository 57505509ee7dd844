/** Where the agent makes its gadgets, and how the runner finds the ones a crashed agent left behind. */

/** configfs root of USB gadgets. */
export const GADGET_ROOT = '/sys/kernel/config/usb_gadget';
/** Every gadget we make (agents and in-process functions) starts with this, so stale ones can be found and removed. */
export const GADGET_PREFIX = 'ffslab-';
