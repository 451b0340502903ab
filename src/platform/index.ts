export * from './config/index.js';
export { createLogger, scrubTokens, type Logger } from './logger.js';
export { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem.js';
export { toHttpProblem } from './errors.js';
export { Readiness, type DependencyState, type DependencyStatus, type ReadinessReport } from './readiness.js';
export { createServiceMetrics, counter, gauge, Counter, Gauge, Histogram, Registry, type ServiceMetrics } from './metrics.js';
export { createHttpApp, sendProblem, type HttpAppOptions } from './http-server.js';
export { closeOnSignals } from './shutdown.js';
export { writeSecretFile } from './secret-file.js';
