// The JSON body parser every KDI server uses, in place of Fastify's: the
// same parser (secure-json-parse, prototype poisoning refused), but its
// refusals say what is wrong, where Fastify says only "not valid JSON":
//  - an empty body                    → the server's own wording
//  - a `__proto__` key, or a
//    `constructor` key holding a
//    `prototype`                      → INVALID_ARGUMENT naming the key
//  - anything else that is not JSON   → INVALID_ARGUMENT quoting the parser
//    (the position of the first error)

import { KdiError } from '@kdi/protocol';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/** Replaces the application/json parser of `app`. */
export function registerJsonBodyParser(app: FastifyInstance, opts: { emptyBodyMessage: string }): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(new KdiError('INVALID_ARGUMENT', opts.emptyBodyMessage), undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (e) {
      done(jsonBodyError(e, text), undefined);
    }
  });
}

/** A `"__proto__":` key, also with escaped letters (the parser's own test). */
const PROTO_KEY = /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;

function jsonBodyError(e: unknown, text: string): KdiError {
  const message = e instanceof Error ? e.message : String(e);
  // The parser says "forbidden prototype property" for both keys.
  const poisoned = /forbidden prototype property/.test(message);
  if (poisoned && PROTO_KEY.test(text)) {
    return new KdiError('INVALID_ARGUMENT', 'the JSON body has a "__proto__" key, which is not allowed (prototype poisoning); rename or remove that key', {
      details: { field: 'body', key: '__proto__' },
      cause: e,
    });
  }
  if (poisoned) {
    return new KdiError(
      'INVALID_ARGUMENT',
      'the JSON body has a "constructor" key holding a "prototype" key, which is not allowed (prototype poisoning); rename or remove that key',
      { details: { field: 'body', key: 'constructor' }, cause: e },
    );
  }
  return new KdiError('INVALID_ARGUMENT', `the request body is not valid JSON (its Content-Type says application/json): ${message}`, { cause: e });
}
