/**
 * The generators without the `dstreams` command:
 *
 *   npx tsx src/pipelines/generate.ts meetup --kafka-topic rsvps --count 10000 --malformed 0.05
 *   npx tsx src/pipelines/generate.ts tweets --kafka-topic tweets --count 10000
 *
 * (the same as `dstreams generate meetup|tweets …`; options: `--help`).
 */
import { generateCommand } from './cli.js';

await generateCommand().showHelpAfterError().parseAsync(process.argv);
