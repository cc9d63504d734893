/**
 * Stands in for `@smithy/core/event-streams` in the handler bundles (`bundle.ts`), never in tests or
 * the CLI. No function calls an operation that streams events (S3 SelectObjectContent, Lambda
 * InvokeWithResponseStream and the like), yet every bundle carried the codec (about 15 KB): the
 * protocols load it only for such an operation, and the S3 and Lambda clients resolve a marshaller
 * for it at construction. Here the clients are built as before, and anything that would encode or
 * decode an event stream throws instead, naming why.
 */
export const EVENT_STREAMS_UNAVAILABLE =
  'event streams are not bundled in this function: none of its operations streams events';

function unavailable(): never {
  throw new Error(EVENT_STREAMS_UNAVAILABLE);
}

/** The marshaller a client holds for event streams: every use throws. */
const marshaller = { serialize: unavailable, deserialize: unavailable };

export const eventStreamSerdeProvider = (): typeof marshaller => marshaller;

export const resolveEventStreamSerdeConfig = <T extends { eventStreamSerdeProvider: (input: T) => unknown }>(
  input: T,
): T & { eventStreamMarshaller: unknown } =>
  Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

export class EventStreamSerde {
  constructor() {
    unavailable();
  }
}
