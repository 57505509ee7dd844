import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** The published schema of results.json (this file is host-runner/dist/test/results-schema-check.js). */
export const RESULTS_SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema', 'results.schema.json');

let validate: ReturnType<Ajv['compile']> | undefined;

/** What is wrong with `run` by the published schema (ajv, strict): an empty list when it is valid. */
export function resultsSchemaErrors(run: unknown): string[] {
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(fs.readFileSync(RESULTS_SCHEMA_FILE, 'utf8')) as object);
  }
  return validate(run) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}
