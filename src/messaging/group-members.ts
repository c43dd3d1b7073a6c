// Who else is in a consumer group. A member that subscribed to other topics means two deployments share a group id
// (e.g. environments on one broker without their own prefix): the group's partitions are then split across both
// and some of each side's topics go unconsumed, so the consumer loop reports it loudly.
import { AssignerProtocol, type Consumer } from './kafka.ts';

export type ForeignMember = { memberId: string; clientId: string; clientHost: string; topics: string[] };

/** Members of the consumer's group whose subscription differs from `topics`. */
export async function membersWithOtherTopics(consumer: Consumer, topics: string[]): Promise<ForeignMember[]> {
  const wanted = new Set(topics);
  const { members } = await consumer.describeGroup();
  return members
    .map(({ memberId, clientId, clientHost, memberMetadata }) => ({
      memberId,
      clientId,
      clientHost,
      topics: AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? [],
    }))
    .filter((m) => m.topics.length !== wanted.size || m.topics.some((t) => !wanted.has(t)));
}
