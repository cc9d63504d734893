/** EventBridge pattern matching for tests: the matcher `simulate` routes events with. */
export { matchesEventPattern as matchesPattern } from '../../local/event-pattern.js';
