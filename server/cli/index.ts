export { main, buildProgram, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './main.js';
export type { CliIo } from './io.js';
export { UsageError, processIo } from './io.js';
