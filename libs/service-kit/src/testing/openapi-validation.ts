// OpenAPI validation for the servers' tests: the document must pass
// @apidevtools/swagger-parser (the OpenAPI 3.0 JSON schema, $refs, unique
// operation ids and parameters) and our house rules (openapi-problems.ts).

import SwaggerParser from '@apidevtools/swagger-parser';
import { openApiProblems, type Json } from './openapi-problems.js';

/** Every problem of `doc` — the validator's, then the house rules' — empty when it is valid. */
export async function validateOpenApi(doc: Json): Promise<string[]> {
  const problems: string[] = [];
  try {
    // The validator dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc) as never);
  } catch (e) {
    problems.push(`swagger-parser: ${e instanceof Error ? e.message : String(e)}`);
  }
  return [...problems, ...openApiProblems(doc)];
}
