import { describe, expect, it } from 'vitest';
import { validateOpenApi } from './openapi-validation.js';

describe('validateOpenApi', () => {
  const doc = {
    openapi: '3.0.3',
    info: { title: 't', version: '1' },
    paths: { '/v1/x': { get: { operationId: 'getX', security: [], responses: { '200': { description: 'ok' }, '4XX': { description: 'e' }, '5XX': { description: 'e' } } } } },
  };

  it('accepts a valid document', async () => expect(await validateOpenApi(doc)).toEqual([]));

  it("reports the validator's findings (here: no info) and the house rules'", async () => {
    const bad = { openapi: '3.0.3', paths: { '/v1/x': { get: { operationId: 'getX', security: [], responses: { '200': { description: 'ok' } } } } } };
    const problems = await validateOpenApi(bad);
    expect(problems).toEqual([expect.stringMatching(/^swagger-parser: .*info/s), 'GET /v1/x: error responses not documented']);
  });
});
