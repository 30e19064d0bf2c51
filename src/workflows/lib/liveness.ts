/**
 * How long an activity may go without a heartbeat before Temporal treats its worker as dead and
 * retries the attempt elsewhere. The worker heartbeats every activity every 2 s while it runs
 * (src/worker/activity-heartbeat.ts), so only a dead or wedged worker misses this; a SIGKILLed
 * worker costs an in-flight step about this long instead of the step's start-to-close timeout.
 * Use it on every proxyActivities whose activities can run longer than a second or two.
 */
export const HEARTBEAT_TIMEOUT = '10s';
