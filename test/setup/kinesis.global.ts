// Vitest global setup: a local Kinesis (kinesalite) and DynamoDB (dynalite) for the run, in this
// process, in memory, on free ports below 32768 (scripts/kinesis-local.ts), started only when a
// test file of the run mentions Kinesis (its path or its text), and closed at teardown.
//
// Tests read the endpoints with kinesisEndpoints() from test/helpers/kinesis.ts. If the servers
// could not start, every Kinesis test fails with `kinesisError`, which says why.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startLocalKinesis } from '../../scripts/kinesis-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's Kinesis endpoint URL ('' when none). */
    kinesisEndpoint: string;
    /** The run's DynamoDB endpoint URL, for lease tables ('' when none). */
    dynamoDBEndpoint: string;
    /** Why there is no local Kinesis ('' when there is). */
    kinesisError: string;
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function runNeedsKinesis(project: TestProject): Promise<boolean> {
  try {
    const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern ?? [];
    const { testFiles } = await project.globTestFiles(filters);
    return testFiles.some((f) => /kinesis/i.test(path.relative(ROOT, f)) || /kinesis/i.test(readFileSync(f, 'utf8')));
  } catch {
    return true;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The AWS SDK's notice that its 2027 releases need Node 22 would fill every test's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (!(await runNeedsKinesis(project))) {
    project.provide('kinesisEndpoint', '');
    project.provide('dynamoDBEndpoint', '');
    project.provide('kinesisError', 'No local Kinesis was started: no test file of this run mentions "kinesis" (test/setup/kinesis.global.ts).');
    return async () => {};
  }
  try {
    const local = await startLocalKinesis();
    project.provide('kinesisEndpoint', local.kinesisEndpoint);
    project.provide('dynamoDBEndpoint', local.dynamoDBEndpoint);
    project.provide('kinesisError', '');
    return () => local.close();
  } catch (e) {
    const why = `Could not start kinesalite/dynalite for the Kinesis tests: ${(e as Error).message}`;
    console.warn(`[kinesis] ${why}`);
    project.provide('kinesisEndpoint', '');
    project.provide('dynamoDBEndpoint', '');
    project.provide('kinesisError', why);
    return async () => {};
  }
}
