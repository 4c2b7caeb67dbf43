export { createThrottle, type Admission, type RouteThrottle, type ThrottleOptions } from './create-throttle.js';
export { createWindowCounters, type RateRule, type Take } from './window-counter.js';
export { createConcurrencyGate, type ConcurrencyRule, type Release } from './concurrency-gate.js';
export { createInFlightLimit } from './in-flight-limit.js';
