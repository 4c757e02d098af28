/**
 * The generators without the `dstreams` command:
 *
 *   npx tsx src/apps/generate.ts meetup --kafka-topic rsvps --count 10000 --malformed 0.05
 *   npx tsx src/apps/generate.ts tweets --kafka-topic tweets --count 10000
 *
 * (the same as `dstreams generate meetup|tweets …`; options: `--help`).
 */
import { runCommand } from '../util/usage.js';
import { generateCommand } from './generateCommand.js';

await runCommand(generateCommand(), process.argv);
