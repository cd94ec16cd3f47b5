/** The domain event feed: a typed catalogue, the outbox written in the writing transaction, and its reader. */
export {
  EMITTED_EVENT_TYPES,
  RESERVED_EVENT_TYPES,
  EVENT_TYPES,
  SUBJECTS_PER_EVENT,
} from './catalogue.js';
export type {
  DeviceRef,
  DomainEvent,
  EmittedEventType,
  EventPayloads,
  EventType,
  ReservedEventType,
  RetentionRunCount,
  StoredEvent,
} from './catalogue.js';
export {
  EVENT_KEEP_DAYS,
  EventError,
  continueEventsFrom,
  dropEventCursor,
  emitEvent,
  lastEventId,
  pruneEvents,
  readEventCursor,
  readEvents,
  writeEventCursor,
} from './store.js';
export type { EventErrorReason } from './store.js';
export { EventFeed } from './feed.js';
export type { EventFeedFailure, EventFeedOptions, Subscriber } from './feed.js';
