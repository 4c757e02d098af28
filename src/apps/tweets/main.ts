/**
 * The tweet speed layer without the `dstreams` command (the same as `dstreams tweets …`):
 *
 *   npx tsx src/apps/tweets/main.ts --topic tweets --checkpoint .checkpoints/tweets --export-seconds 10
 */
import { runCommand } from '../../util/usage.js';
import { tweetsCommand } from './command.js';

await runCommand(tweetsCommand('tweets-speed-layer'), process.argv);
