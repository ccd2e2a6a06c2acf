// Checks of single arguments, each a UsageError naming the argument and
// what to write instead — so a bad table name, timestamp, limit or
// predicate is caught before any request.

import { parsePredicate, PredicateSyntaxError, TableNameSchema } from '@kdi/protocol';
import { UsageError } from './usage-error.js';

export function tableName(value: string, command: string): string {
  if (!TableNameSchema.safeParse(value).success) {
    throw new UsageError(`table name ${JSON.stringify(value)} is not valid: use 1-128 characters of [A-Za-z0-9._-], not '.' or '..'`, command);
  }
  return value;
}

/** A cell timestamp: microseconds since the epoch, a safe integer. */
export function timestamp(value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^-?[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--timestamp ${JSON.stringify(value)} is not an integer (microseconds since the epoch, e.g. ${Date.now() * 1000})`, command);
  return n;
}

export function positiveInt(flag: string, value: string | undefined, command: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1)) throw new UsageError(`${flag} ${JSON.stringify(value)} is not a positive integer`, command);
  return n;
}

/** A scan predicate (DESIGN §3), checked here so a typo is a usage error with the parser's message. */
export function predicate(value: string | undefined, command: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    parsePredicate(value);
  } catch (e) {
    if (e instanceof PredicateSyntaxError) throw new UsageError(`the predicate is not valid: ${e.message}`, command);
    throw e;
  }
  return value;
}

/** A tablet or server id: what the master shows ([A-Za-z0-9._-], not '.' or '..'). */
export function id(what: string, value: string, command: string): string {
  if (!TableNameSchema.safeParse(value).success) {
    throw new UsageError(
      `${what} ${JSON.stringify(value)} is not valid: use 1-128 characters of [A-Za-z0-9._-], not '.' or '..' (kdi tablets TABLE and kdi servers show them)`,
      command,
    );
  }
  return value;
}

export function masterUrl(value: string, from: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`${from} ${JSON.stringify(value)} is not an http(s) URL such as http://127.0.0.1:7000`);
  }
  return value.replace(/\/+$/, '');
}

/** A required option's value; UsageError naming it when it is missing. */
export function required(flag: string, value: string | undefined, command: string): string {
  if (value === undefined || value === '') throw new UsageError(`${command} needs ${flag}`, command);
  return value;
}

/** A disk of a server: its index (0, 1, …) or its absolute path, as kdi disk-capacity shows them. */
export function disk(flag: string, value: string | undefined, command: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,4}$/.test(value) && !value.startsWith('/')) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a disk: give its index (0, 1, …) or its absolute path, as kdi disk-capacity -n NODE shows them`, command);
  }
  return value;
}
