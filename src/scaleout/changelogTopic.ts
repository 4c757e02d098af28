/**
 * The changelog topic of a state: `<applicationId>-<name>-changelog` when it is named, else
 * `<applicationId>-state<id>-changelog`. A name Kafka cannot take in a topic name is refused.
 */
export function changelogTopic(applicationId: string, stream: { id: number; stateName?: string | undefined; kind: string }): string {
  const name = stream.stateName;
  if (name === undefined) return `${applicationId}-state${stream.id}-changelog`;
  const topic = `${applicationId}-${name}-changelog`;
  if (!/^[A-Za-z0-9._-]+$/.test(name) || topic.length > 249) {
    throw new Error(
      `${stream.kind} named ${JSON.stringify(name)}: in a scaled-out job (applicationId) a state's name names its changelog topic ` +
        `${JSON.stringify(topic)}, so it may hold only letters, digits, '.', '_' and '-' (and the topic at most 249 characters)`,
    );
  }
  return topic;
}
