/** Rate control shared by the inputs: receivers' RateLimiter, the PID backpressure estimator, the direct streams' per-partition limit. */
export { RateLimiter } from './RateLimiter.js';
export { PIDRateEstimator, type PIDOptions } from './PIDRateEstimator.js';
export { DirectRateController } from './DirectRateController.js';
