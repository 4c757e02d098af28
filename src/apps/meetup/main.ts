/**
 * The meetup RSVP job without the `dstreams` command (the same as `dstreams meetup …`):
 *
 *   npx tsx src/apps/meetup/main.ts --topic rsvps --checkpoint .checkpoints/meetup
 */
import { runCommand } from '../../util/usage.js';
import { meetupCommand } from './command.js';

await runCommand(meetupCommand('meetup-rsvps'), process.argv);
