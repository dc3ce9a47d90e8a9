// Public surface of the outputs module.
export type { AlertFormatter, OutputChannel, OutputHooks } from './types.ts'
export { createDispatcher, type Dispatcher, type DispatcherOptions } from './dispatcher.ts'
export type { DropSummary } from './drop-tally.ts'
export { createStdoutChannel } from './stdout.ts'
export { createFileChannel } from './file.ts'
export { createProgramChannel, PartialDeliveryError } from './program.ts'
export { createHttpChannel } from './http.ts'
export { buildChannels, type BuildChannelsOptions } from './build.ts'
export { createRateLimitedLog } from './rate-limited-log.ts'
export {
  buildAlertFormatter, escapeControl, formatAlertJson, formatAlertText, jsonText, type JsonFormatOptions, type TextFormatOptions
} from './serialize.ts'
