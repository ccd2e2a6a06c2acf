// One `kdi` invocation: parse the command line, print help or run the
// command, describe any failure; returns the exit status. Everything the
// process provides comes in through CliIo and the environment.

import { helpText, rootHelp } from './args/help-text.js';
import { parseCommandLine, type Environment } from './args/parse-command-line.js';
import { UsageError } from './args/usage-error.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { execute } from './execute.js';
import { describeFailure } from './failure.js';
import type { CliIo } from './io.js';

export async function run(argv: readonly string[], env: Environment, io: CliIo): Promise<ExitCode> {
  let master = '';
  try {
    const { global, command } = parseCommandLine(argv, env);
    master = global.master;
    if (command.name === 'help') {
      await io.out(`${helpText(command.topic)}\n`);
      return EXIT.OK;
    }
    return await execute(global, command, io);
  } catch (e) {
    const f = describeFailure(e, master);
    io.err(`${f.message}\n`);
    if (e instanceof UsageError && e.message === 'no command given') io.err(`\n${rootHelp()}\n`);
    return f.exit;
  }
}
