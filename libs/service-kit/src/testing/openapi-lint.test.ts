import { describe, expect, it } from 'vitest';
import { lintOpenApi } from './openapi-lint.js';

describe('lintOpenApi', () => {
  const doc = {
    openapi: '3.0.3',
    info: { title: 't', version: '1', description: 'd', license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' } },
    servers: [{ url: 'http://kdi.test' }],
    paths: {
      '/v1/x': {
        get: {
          operationId: 'getX',
          summary: 'x',
          security: [],
          responses: { '200': { description: 'ok' }, '4XX': { description: 'e' } },
        },
      },
    },
  };

  it('passes a clean document', async () => {
    expect(await lintOpenApi(doc)).toEqual({ errors: [], warnings: [] });
  });

  it("reports redocly's errors (an operationId used twice, a $ref that does not resolve)", async () => {
    const bad = JSON.parse(JSON.stringify(doc));
    bad.paths['/v1/y'] = {
      get: { ...bad.paths['/v1/x'].get, responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } } } },
    };
    const { errors } = await lintOpenApi(bad);
    expect(errors).toEqual(expect.arrayContaining([expect.stringMatching(/^operation-operationId-unique: /), expect.stringMatching(/^no-unresolved-refs: /)]));
  });
});
