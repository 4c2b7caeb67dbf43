export { startServer, type RequestHandler, type RunningServer, type ServerOptions } from './start-server.js';
export { runMain } from './run-main.js';
export { handleSignals } from './handle-signals.js';
export { createRequestLifecycle } from './request-lifecycle.js';
export { startAdmin, type AdminOptions } from './start-admin.js';
export { versionInfo } from './version.js';
export { watchConfig } from './config-reloader.js';
export { createDataPath, type DataPathOptions } from './data-path.js';
export { withFallback } from './with-fallback.js';
