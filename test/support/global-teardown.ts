export default async function globalTeardown(): Promise<void> {
  await globalThis.__CLASPER_TEMPORAL__?.stop();
}
