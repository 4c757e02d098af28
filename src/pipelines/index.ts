/** End-to-end pipeline helpers (Kafka direct stream → PostgresSink, exactly once) and the seeds' jobs. */
export { OffsetTracker, resumeFromSink, storedFromOffsets, type ResumeOptions, type Resumed, type StartFromSink } from './exactlyOnce.js';
export { directStreamFromSink } from './directFromSink.js';
export { startMeetupJob, type MeetupJob, type MeetupJobOptions } from './meetup/job.js';
export { startTweetsJob, type TweetsJob, type TweetsJobOptions } from './tweets/job.js';
export { generateMeetupEvents, type MeetupGeneratorOptions, type GeneratedRsvp } from './meetup/generate.js';
export { generateTweets, type TweetGeneratorOptions, type GeneratedTweet } from './tweets/generate.js';
