/** The problems `loadConfig` reports for an environment; [] when it loads. */
import { ConfigError, loadConfig } from '../../../src/config';

export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
