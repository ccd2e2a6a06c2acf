// A schema given on the command line (`--schema FILE|JSON`, `tables schema
// NAME FILE|JSON`): inline JSON when it starts with '{', otherwise the path
// of a JSON file. A file that cannot be read or text that is not JSON is a
// usage error naming it; whether the schema is valid is the master's call
// (its INVALID_ARGUMENT lists every problem).

import { UsageError } from './args/usage-error.js';

export async function readSchemaArgument(arg: string, readFile: (path: string) => Promise<string>, command: string): Promise<unknown> {
  const inline = arg.trimStart().startsWith('{');
  let text = arg;
  if (!inline) {
    try {
      text = await readFile(arg);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new UsageError(
        `cannot read the schema file ${JSON.stringify(arg)} (${typeof code === 'string' ? code : String(e)}): give a JSON file or inline JSON such as '{"groups":[...]}'`,
        command,
      );
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`the schema ${inline ? 'given inline' : `in ${arg}`} is not JSON: ${(e as Error).message}`, command);
  }
}
