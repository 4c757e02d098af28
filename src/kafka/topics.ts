/**
 * Whether a producer can write to a topic: it exists, or the broker creates it when a producer
 * asks for it (auto.create.topics.enable, as Spark's Java producer relies on). Asked once per
 * topic by the Kafka sinks (sinks/kafka, sql/sinks/kafka.ts) before their first write, so a topic
 * that will never be there fails at once, named — not after the producer's ~20 s of retries with
 * "This server does not host this topic-partition".
 */
import type { Admin, ConfigResourceTypes } from 'kafkajs';

/** kafkajs's ConfigResourceTypes.BROKER (its enum is no named export of the ESM view of kafkajs). */
const BROKER_RESOURCE = 4 as ConfigResourceTypes;

/** The admin calls `missingTopicError` makes. */
export type TopicAdmin = Pick<Admin, 'listTopics' | 'describeCluster' | 'describeConfigs'>;

/**
 * Why writing to `topics` cannot work: one does not exist and the broker does not create topics
 * on demand. Undefined when they exist, when the broker creates them, or when its configuration
 * cannot be read (the producer then finds out itself).
 */
export async function missingTopicError(admin: TopicAdmin, topics: readonly string[], brokers?: string): Promise<Error | undefined> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.find((t) => !existing.has(t));
  if (missing === undefined) return undefined;
  const autoCreate = await admin
    .describeCluster()
    .then(({ brokers }) =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: brokers.slice(0, 1).map((b) => ({ type: BROKER_RESOURCE, name: String(b.nodeId), configNames: ['auto.create.topics.enable'] })),
      }),
    )
    .then((r) => r.resources[0]?.configEntries.find((e) => e.configName === 'auto.create.topics.enable')?.configValue)
    .catch(() => undefined); // not allowed to read it (ACLs): the producer's metadata requests tell
  if (autoCreate !== 'false') return undefined;
  return new Error(
    `Topic ${missing} not present in metadata${brokers ? ` of ${brokers}` : ''}: it does not exist and the broker does not create topics (auto.create.topics.enable=false). Create it first.`,
  );
}
