import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Starts one real Kafka broker per run (scripts/kafka.sh) unless KAFKA_BROKERS is set;
    // kinesalite and dynalite when a test file of the run mentions Kinesis.
    globalSetup: ['test/setup/kafka.global.ts', 'test/setup/kinesis.global.ts'],
  },
});
