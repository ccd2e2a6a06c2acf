// The field names an object in a route's zod schema accepts, at the place a
// validation issue points to (its instancePath, e.g. '' or '/schema/groups/0').
// Used to say which fields exist when a request sends an unknown one.
//
// Promises: reads zod 4 schemas only through their definitions (`_zod.def`);
// steps through optional, nullable, default, readonly, catch, pipe (its
// input side), lazy, array elements and record values; answers undefined
// where the schema at that place is not an object or is not one it knows,
// never throws.

/** The part of a zod 4 schema's definition read here. */
interface ZodDefLike {
  readonly type?: string;
  readonly shape?: Readonly<Record<string, unknown>>;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly element?: unknown;
  readonly valueType?: unknown;
  readonly getter?: () => unknown;
}

function defOf(schema: unknown): ZodDefLike | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const def = (schema as { _zod?: { def?: unknown } })._zod?.def;
  return typeof def === 'object' && def !== null ? (def as ZodDefLike) : undefined;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** Looks through wrappers to the schema that decides the value's shape. */
function unwrap(schema: unknown): ZodDefLike | undefined {
  let def = defOf(schema);
  for (let i = 0; i < 16 && def !== undefined; i++) {
    if (def.type !== undefined && WRAPPERS.has(def.type)) def = defOf(def.innerType);
    else if (def.type === 'pipe') def = defOf(def.in);
    else if (def.type === 'lazy' && def.getter !== undefined) def = defOf(def.getter());
    else return def;
  }
  return def;
}

/** The sorted field names of the object schema at `instancePath` in `schema`, if it is one. */
export function knownFieldsAt(schema: unknown, instancePath: string): readonly string[] | undefined {
  try {
    let def = unwrap(schema);
    for (const segment of instancePath.split('/').filter((s) => s.length > 0)) {
      if (def === undefined) return undefined;
      if (def.type === 'object' && def.shape !== undefined) def = unwrap(def.shape[decodeURIComponent(segment)]);
      else if (def.type === 'array') def = unwrap(def.element);
      else if (def.type === 'record') def = unwrap(def.valueType);
      else return undefined;
    }
    if (def?.type !== 'object' || def.shape === undefined) return undefined;
    return Object.keys(def.shape).sort();
  } catch {
    return undefined;
  }
}
