/**
 * How the `dstreams` command ends on bad input: a usage error — an unknown flag, a bad flag
 * value, a missing required flag, a port in use — is one line on stderr and exit code 2; a
 * service that cannot be reached (ServiceUnreachableError) is its message and exit code 1; any
 * other error is its message and its causes' on one line, exit code 1 (the stack trace only with
 * DSTREAMS_DEBUG=1). Help and --version exit 0.
 */
import { Command, CommanderError } from 'commander';
import { describeFailure } from './causeChain.js';
import { ServiceUnreachableError } from './waitForService.js';

export { describeFailure } from './causeChain.js';

/** A bad command line (or a resource it names, such as a port in use): one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*(?=.)/g, ' ').trimEnd() + '\n';

/**
 * Every command of the tree throws instead of exiting and prints its errors on one line. Required
 * options say so in the help, and are checked after unknown options (commander checks them
 * first, so a mistyped flag was reported as a missing required one).
 */
export function throwOnUsageErrors(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({ outputError: (s, write) => write(oneLine(s)) });
  const required = cmd.options.filter((o) => o.mandatory);
  for (const o of required) {
    o.mandatory = false;
    if (!/\(required\)/.test(o.description)) o.description = `${o.description} (required)`;
  }
  if (required.length > 0) {
    cmd.hook('preAction', (_hooked, action) => {
      if (action !== cmd) return;
      for (const o of required) {
        if (cmd.getOptionValue(o.attributeName()) === undefined) {
          cmd.error(`error: required option '${o.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
        }
      }
    });
  }
  for (const sub of cmd.commands) throwOnUsageErrors(sub);
}

/** Parses and runs `argv`; sets process.exitCode to 0 (help, version), 2 (usage) or 1 (a failure). */
export async function runCommand(program: Command, argv: string[]): Promise<void> {
  throwOnUsageErrors(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message already.
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
      return;
    }
    if (e instanceof UsageError) {
      process.stderr.write(oneLine(`error: ${e.message}`));
      process.exitCode = 2;
      return;
    }
    if (e instanceof ServiceUnreachableError) {
      process.stderr.write(oneLine(`error: ${e.message}`));
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`error: ${describeFailure(e)}\n`);
    if (process.env.DSTREAMS_DEBUG === '1' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
}
