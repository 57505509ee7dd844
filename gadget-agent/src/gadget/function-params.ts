import { AgentError } from '../session/agent-error';
import { validateSpec } from './configfs-gadget';
import { validateFunction, type FunctionSpec } from '../../../contract/src/function-spec';
import type { FunctionCreateParams, GadgetSpec } from '../../../contract/src/protocol';

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
}

/**
 * Check `function.create` params: the gadget (as gadget.create does), the descriptors (every
 * reason FunctionFS would refuse them) and the strings. One BAD_REQUEST names every problem.
 */
export function validateFunctionParams(raw: unknown): ValidFunctionParams {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AgentError('BAD_REQUEST', 'function.create: params must be an object');
  const p = raw as Partial<Record<keyof FunctionCreateParams, unknown>>;
  const problems: string[] = [];
  for (const k of Object.keys(p)) if (!['gadget', 'function', 'strings'].includes(k)) problems.push(`unknown field '${k}'`);
  if (!p.gadget || typeof p.gadget !== 'object' || Array.isArray(p.gadget)) {
    problems.push('gadget must be an object (a gadget spec as for gadget.create)');
  } else {
    try {
      validateSpec(p.gadget as GadgetSpec);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  let fn = DEFAULT_STREAM_FUNCTION;
  if (p.function !== undefined) {
    if (!p.function || typeof p.function !== 'object' || Array.isArray(p.function)) {
      problems.push('function must be an object ({endpoints: [...]})');
    } else {
      fn = p.function as FunctionSpec;
      const eps = (fn as { endpoints?: unknown }).endpoints;
      if (!Array.isArray(eps) || eps.length === 0 || eps.some((e) => !e || typeof e !== 'object' || Array.isArray(e))) {
        problems.push('function.endpoints must be a non-empty array of endpoint objects');
      } else {
        problems.push(...validateFunction(fn).map((m) => `function: ${m}`));
      }
    }
  }
  let strings: string[] | undefined;
  if (p.strings !== undefined) {
    if (!Array.isArray(p.strings) || p.strings.length > 16 || p.strings.some((s) => typeof s !== 'string' || s.includes('\0') || Buffer.byteLength(s) > 126)) {
      problems.push('strings must be an array of at most 16 strings of at most 126 bytes without NUL');
    } else {
      strings = p.strings as string[];
    }
  }
  const gadget = p.gadget as GadgetSpec;
  const finalStrings = strings ?? [typeof gadget?.product === 'string' ? gadget.product : ''];
  const iString = (fn as { interfaceString?: unknown }).interfaceString ?? 1;
  if (typeof iString === 'number' && iString > finalStrings.length) problems.push(`function.interfaceString ${iString} is past the ${finalStrings.length} string(s) given`);
  if (problems.length) throw new AgentError('BAD_REQUEST', `function.create: ${problems.join('; ')}`);
  return { gadget, function: fn, strings: finalStrings };
}
