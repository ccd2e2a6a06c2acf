// The JSON body parser every KDI server uses, in place of Fastify's: the
// same parser (secure-json-parse, prototype poisoning refused), but its
// refusals say what is wrong, where Fastify says only "not valid JSON":
//  - an empty body                    → the server's own wording, unless
//                                       the route's body may be absent
//                                       (zod .nullish(), e.g. admin calls
//                                       without parameters): then it is
//                                       absent (generated clients send
//                                       Content-Type with no body)
//  - a `__proto__` key, or a
//    `constructor` key holding a
//    `prototype`                      → INVALID_ARGUMENT naming the key
//  - anything else that is not JSON   → INVALID_ARGUMENT quoting the parser
//    (the position of the first error)
//  - bytes that are not UTF-8         → INVALID_ARGUMENT naming the field and
//    the byte, never decoded to U+FFFD (the data would change silently)
//  - a body over the route's own
//    `config.maxJsonBodyBytes`        → INVALID_ARGUMENT before it is parsed
//    (parsing cost grows with the body; e.g. scan predicates)

import { checkJsonUtf8, KdiError } from '@kdi/protocol';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

export interface JsonBodyOptions {
  readonly emptyBodyMessage: string;
  /** What to do instead of sending bytes that are not UTF-8 (end of the refusal's message). */
  readonly utf8Hint?: string | undefined;
}

/** A route's own JSON body limit, set in its route options: `config: { maxJsonBodyBytes }`. */
export interface JsonBodyRouteConfig {
  readonly maxJsonBodyBytes?: number;
}

/** Replaces the application/json parser of `app`. */
export function registerJsonBodyParser(app: FastifyInstance, opts: JsonBodyOptions): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) {
      if (bodyMayBeAbsent(request.routeOptions.schema?.body)) {
        done(null, undefined);
        return;
      }
      done(new KdiError('INVALID_ARGUMENT', opts.emptyBodyMessage), undefined);
      return;
    }
    let text: string;
    try {
      checkRouteLimit(request.routeOptions, bytes.length);
      checkJsonUtf8(bytes, 'body', opts.utf8Hint);
      text = bytes.toString('utf8');
    } catch (e) {
      done(e as Error, undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (e) {
      done(jsonBodyError(e, text), undefined);
    }
  });
}

/** True when the route's body schema (zod) accepts no body. */
function bodyMayBeAbsent(schema: unknown): boolean {
  const parse = (schema as { safeParse?: unknown } | undefined)?.safeParse;
  return typeof parse === 'function' && (parse.call(schema, undefined) as { success: boolean }).success;
}

function checkRouteLimit(route: { url?: string | undefined; config: unknown }, bytes: number): void {
  const limit = (route.config as JsonBodyRouteConfig | undefined)?.maxJsonBodyBytes;
  if (limit !== undefined && bytes > limit) {
    throw new KdiError('INVALID_ARGUMENT', `the body is ${bytes} bytes; ${route.url ?? 'this route'} accepts at most ${limit} bytes of JSON`, {
      details: { bytes, limit },
    });
  }
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
