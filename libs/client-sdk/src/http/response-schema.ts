// The one thing the transport needs from a zod schema. Declared
// structurally so this package depends on @kdi/protocol's schemas without
// importing zod itself (STYLE: client-sdk imports protocol and undici).

export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export type SchemaResult<T> = { readonly success: true; readonly data: T } | { readonly success: false; readonly error: { readonly issues: readonly SchemaIssue[] } };

export interface ResponseSchema<T> {
  safeParse(value: unknown): SchemaResult<T>;
}

/** "contents: expected string; lock.mode: invalid option" — the first few issues. */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(body)'}: ${i.message}`);
  if (issues.length > 3) shown.push(`and ${issues.length - 3} more`);
  return shown.join('; ');
}
