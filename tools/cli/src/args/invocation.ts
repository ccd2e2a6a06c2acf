// What a parsed `kdi` command line asks for: the connection settings every
// command shares and one command with its checked arguments. Produced by
// parse-command-line.ts (pure), run by execute.ts.

export type ScanFormat = 'tuple' | 'json' | 'tsv';

export interface GlobalOptions {
  /** The master's base URL (--master, KDI_MASTER, default http://127.0.0.1:7000). */
  readonly master: string;
  /** Bearer token (--token, KDI_TOKEN). */
  readonly token: string | undefined;
  /** Machine-readable output. */
  readonly json: boolean;
}

export type Command =
  | { readonly name: 'help'; readonly topic: string }
  | { readonly name: 'tables ls' }
  | { readonly name: 'tables create'; readonly table: string; readonly splits: readonly string[]; readonly schema: string | undefined }
  | { readonly name: 'tables drop'; readonly table: string; readonly yes: boolean }
  | { readonly name: 'tables schema'; readonly table: string; readonly schema: string | undefined }
  | { readonly name: 'put'; readonly table: string; readonly row: string; readonly column: string; readonly value: string; readonly timestamp: number | undefined }
  | { readonly name: 'get'; readonly table: string; readonly row: string; readonly column: string | undefined }
  | { readonly name: 'erase'; readonly table: string; readonly row: string; readonly column: string; readonly timestamp: number | undefined }
  | { readonly name: 'scan'; readonly table: string; readonly predicate: string | undefined; readonly format: ScanFormat; readonly limit: number | undefined }
  | { readonly name: 'servers' }
  | { readonly name: 'tablets'; readonly table: string }
  | { readonly name: 'events'; readonly limit: number | undefined }
  | { readonly name: 'move'; readonly tabletId: string; readonly to: string | undefined; readonly wait: boolean }
  | { readonly name: 'migrations' }
  | { readonly name: 'balance'; readonly dryRun: boolean }
  | { readonly name: 'drain'; readonly serverId: string; readonly undo: boolean }
  | { readonly name: 'disk-capacity'; readonly node: string; readonly disk: string | undefined }
  | { readonly name: 'disk-replica'; readonly node: string; readonly disk: string | undefined }
  | { readonly name: 'disk-migrate'; readonly node: string; readonly tablet: string; readonly from: string; readonly to: string; readonly wait: boolean }
  | { readonly name: 'disk-balance'; readonly node: string; readonly dryRun: boolean };

export interface Invocation {
  readonly global: GlobalOptions;
  readonly command: Command;
}
