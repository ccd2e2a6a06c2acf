// Turns Fastify's schema-validation errors (built by
// fastify-type-provider-zod from zod issues) into one INVALID_ARGUMENT
// whose message names every bad field, e.g.
//   body.ttlMs: Invalid input: expected number, received string;
//   body: unknown field "tll" (unknown fields are rejected; the known ones: ifVersion, ttlMs)
// (the known ones when the route's schema is at hand: `knownFields`).
// A server whose routes end in a URL wildcard (the lock server's lock path)
// names that parameter with `wildcardName`.

import { KdiError } from '@kdi/protocol';

/** The parts of a validation issue that fastify-type-provider-zod fills in. */
export interface ValidationIssue {
  readonly keyword?: string;
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

const WHERE: Readonly<Record<string, string>> = {
  body: 'body',
  querystring: 'query',
  params: 'url',
  headers: 'header',
};

export interface ValidationErrorOptions {
  /** What a caller calls the URL wildcard parameter (`*`), e.g. 'path'; unset: `url.*`. */
  readonly wildcardName?: string;
  /** The fields the object at `instancePath` accepts (from the route's schema), to name beside an unknown one. */
  readonly knownFields?: (instancePath: string) => readonly string[] | undefined;
}

/** The name a caller knows a field by: where it was sent, then its path (or the wildcard's name). */
function fieldName(context: string, instancePath: string | undefined, wildcardName: string | undefined): string {
  const where = WHERE[context] ?? context;
  const segments = (instancePath ?? '').split('/').filter((s) => s.length > 0);
  if (wildcardName !== undefined && context === 'params' && segments[0] === '*') return wildcardName;
  return segments.length === 0 ? where : `${where}.${segments.join('.')}`;
}

function knownList(known: readonly string[] | undefined): string {
  if (known === undefined) return '';
  return known.length === 0 ? '; this takes no fields' : `; the known ones: ${known.join(', ')}`;
}

export function validationError(issues: readonly ValidationIssue[], context: string, options: ValidationErrorOptions = {}): KdiError {
  const fields = issues.map((issue) => {
    const field = fieldName(context, issue.instancePath, options.wildcardName);
    const keys = issue.params?.['keys'];
    const problem =
      issue.keyword === 'unrecognized_keys' && Array.isArray(keys)
        ? `unknown field${keys.length === 1 ? '' : 's'} ${keys.map((k) => JSON.stringify(k)).join(', ')} (unknown fields are rejected${knownList(options.knownFields?.(issue.instancePath ?? ''))})`
        : (issue.message ?? 'is invalid');
    return { field, problem };
  });
  const message = fields.length === 0 ? `invalid request ${WHERE[context] ?? context}` : fields.map((f) => `${f.field}: ${f.problem}`).join('; ');
  return new KdiError('INVALID_ARGUMENT', message, { details: { fields } });
}
