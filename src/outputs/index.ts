// Public surface of the outputs module.
export type { AlertFormatter, Logger, OutputChannel, OutputHooks } from './types.ts'
export { createDispatcher, type Dispatcher, type DispatcherOptions } from './dispatcher.ts'
export { createStdoutChannel } from './stdout.ts'
export { createFileChannel } from './file.ts'
export { createProgramChannel, PartialDeliveryError } from './program.ts'
export { createHttpChannel } from './http.ts'
export { buildChannels, type BuildChannelsOptions } from './build.ts'
export { createRateLimitedLog } from './rate-limited-log.ts'
