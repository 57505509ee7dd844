import type { FunctionSpec } from '@ffs-lab/contract/function-spec';
import type { FunctionCreateParams, GadgetSpec } from '@ffs-lab/contract/protocol';

/** The function `function.create` makes when none is given: bulk IN ep1 and bulk OUT ep2, vendor class, every speed. */
export const DEFAULT_STREAM_FUNCTION: FunctionSpec = {
  endpoints: [
    { number: 1, direction: 'in', type: 'bulk' },
    { number: 2, direction: 'out', type: 'bulk' },
  ],
};

/** `function.create` params checked, with defaults filled in. */
export interface ValidFunctionParams {
  gadget: GadgetSpec;
  function: FunctionSpec;
  strings: string[];
  /** How ep0's control requests are answered (FunctionCreateParams.control). */
  control: 'stall' | 'gadget-zero';
}

/**
 * `function.create` params, already checked against the method's schema
 * (contract/src/request-schemas.ts), with the defaults filled in: the bulk IN/OUT function, and
 * the gadget's product name as the one string, control requests stalled.
 */
export function withFunctionDefaults(p: FunctionCreateParams): ValidFunctionParams {
  return { gadget: p.gadget, function: p.function ?? DEFAULT_STREAM_FUNCTION, strings: p.strings ?? [p.gadget.product], control: p.control ?? 'stall' };
}
