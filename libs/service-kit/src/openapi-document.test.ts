import { describe, expect, it } from 'vitest';
import { finishDocument } from './openapi-document.js';

const ERROR = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' } } } } };

function doc(): Record<string, any> {
  return {
    openapi: '3.0.3',
    paths: {
      '/v1/x': {
        post: {
          parameters: [
            { in: 'query', name: 'n', schema: { type: 'string', pattern: '^[0-9]{1,16}$' } },
            { in: 'query', name: 'small', schema: { type: 'string', pattern: '^[0-9]{1,5}$', default: '7' } },
            { in: 'query', name: 'flag', schema: { type: 'string', enum: ['true', 'false'], default: 'false' } },
            { in: 'query', name: 'id', schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
            { in: 'query', name: 'page', schema: { type: 'string', pattern: '^(?!0+$)[0-9]{1,16}$' } },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, nullable: true } } } },
          responses: {
            '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingInput' } } } },
            '4XX': { description: 'e', content: { 'application/json': { schema: { ...ERROR, description: 'refused' } } } },
          },
        },
      },
    },
    components: { schemas: { ErrorBody: ERROR, ThingInput: { type: 'object' }, Unused: { type: 'object', properties: { a: { type: 'string' } } } } },
  };
}

describe('finishDocument', () => {
  it('publishes query numbers and booleans as integer / boolean, other strings as they are', () => {
    const d = doc();
    finishDocument(d);
    expect(d.paths['/v1/x'].post.parameters.map((p: any) => p.schema)).toEqual([
      { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      { type: 'integer', minimum: 0, maximum: 99999, default: 7 },
      { type: 'boolean', default: false },
      { type: 'string', pattern: '^[0-9a-f]{32}$' },
      { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    ]);
  });

  it('makes a nullable body optional, without the nullable', () => {
    const d = doc();
    finishDocument(d);
    expect(d.paths['/v1/x'].post.requestBody).toEqual({ required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: false } } } });
  });

  it('references copies of a component, drops unused ones, and names a read-only one without Input', () => {
    const d = doc();
    finishDocument(d);
    const responses = d.paths['/v1/x'].post.responses;
    expect(responses['4XX'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    expect(responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Thing' });
    expect(Object.keys(d.components.schemas).sort()).toEqual(['ErrorBody', 'Thing']);
  });
});
