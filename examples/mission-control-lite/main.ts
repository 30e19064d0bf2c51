/**
 * `npm run mission-control-lite`: serves the reference backend on MC_LITE_HOST:MC_LITE_PORT until
 * SIGINT/SIGTERM. Needs AGENT_JWT_SECRET and INTERNAL_API_TOKEN, the same values the runtime uses.
 */
import { loadConfigOrExit } from '../../src/config';
import { buildMissionControlLite } from './server';

async function main(): Promise<void> {
  const config = loadConfigOrExit(['AGENT_JWT_SECRET', 'INTERNAL_API_TOKEN']);
  const { jwtSecret, jwtAlgorithm, internalToken } = config.backend;
  // loadConfigOrExit already exited when these were missing; this narrows the types.
  if (!jwtSecret || !internalToken) throw new Error('AGENT_JWT_SECRET and INTERNAL_API_TOKEN are required');

  const app = await buildMissionControlLite({
    jwtSecret,
    jwtAlgorithm,
    internalToken,
    logger: { level: config.server.logLevel },
  });

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn(`${signal} again, exiting without waiting for open requests`);
      process.exit(1);
    }
    closing = true;
    app.log.info(`${signal} received, closing mission-control-lite`);
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'mission-control-lite did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const { port, host } = config.missionControlLite;
  await app.listen({ host, port });
  app.log.info(`mission-control-lite listening on http://${host}:${port} (contract v1, JWT ${jwtAlgorithm})`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `mission-control-lite failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
