import { describe, expect, it } from 'vitest';
import { openApiProblems } from './openapi-problems.js';

describe('openApiProblems', () => {
  const ok = {
    openapi: '3.0.3',
    paths: {
      '/v1/x/{id}': {
        get: {
          operationId: 'getX',
          security: [],
          parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/X' } } } },
            '4XX': { description: 'e' },
            '5XX': { description: 'e' },
          },
        },
      },
    },
    components: { schemas: { X: { type: 'object', properties: { a: { type: 'integer' } } } } },
  };

  it('accepts a valid document', () => expect(openApiProblems(ok)).toEqual([]));

  it('names each structural problem', () => {
    const bad = JSON.parse(JSON.stringify(ok));
    bad.paths['/v1/x/{id}'].get.parameters[0].name = 'other';
    bad.paths['/v1/x/{id}'].get.responses['200'].content['application/json'].schema.$ref = '#/components/schemas/Missing';
    bad.components.schemas.X.properties.a = { type: 'int', const: 1 };
    delete bad.paths['/v1/x/{id}'].get.responses['5XX'];
    const problems = openApiProblems(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/path parameters \["other"\] do not match the template \["id"\]/),
        expect.stringMatching(/\$ref #\/components\/schemas\/Missing does not resolve/),
        expect.stringMatching(/keyword "const" is not OpenAPI 3.0/),
        expect.stringMatching(/type "int"/),
        expect.stringMatching(/error responses not documented/),
      ]),
    );
  });

  it('wants a unique camelCase operationId and a stated security on every operation', () => {
    const bad = JSON.parse(JSON.stringify(ok));
    bad.paths['/v1/y'] = { post: { ...bad.paths['/v1/x/{id}'].get, parameters: [] }, put: { ...bad.paths['/v1/x/{id}'].get, parameters: [], operationId: 'post_y' } };
    delete bad.paths['/v1/x/{id}'].get.security;
    expect(openApiProblems(bad)).toEqual([
      'GET /v1/x/{id}: security not stated (use [] for an open operation)',
      "POST /v1/y: operationId getX is also GET /v1/x/{id}'s",
      'PUT /v1/y: operationId "post_y" is not a camelCase name',
    ]);
  });
});
