/**
 * The Temporal connection settings: Temporal's own variables and profile file, merged as
 * @temporalio/envconfig does, and every problem found at start as one clear line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { configProblems } from './problems';
import { describeTemporalTarget, temporalConnectionOptions } from '../../../src/clients/temporal/connection';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clasper-temporal-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PROFILE_FILE = path.join(dir, 'temporal.toml');
fs.writeFileSync(
  PROFILE_FILE,
  [
    '[profile.default]',
    'address = "from-default-profile:7233"',
    '[profile.cloud]',
    'address = "acme.a1b2c.tmprl.cloud:7233"',
    'namespace = "acme.a1b2c"',
    'api_key = "secret-from-file"',
  ].join('\n'),
);

describe('Temporal connection settings', () => {
  it('defaults to the local dev server in plaintext', () => {
    const config = loadConfig({ HOME: dir });
    expect(config.temporal).toMatchObject({ address: 'localhost:7233', namespace: 'default' });
    expect(temporalConnectionOptions(config)).toMatchObject({ address: 'localhost:7233', tls: undefined });
    expect(describeTemporalTarget(config)).toBe("localhost:7233 (namespace 'default', plaintext)");
  });

  it('takes a profile from TEMPORAL_CONFIG_FILE; the variables win over it', () => {
    const cloud = loadConfig({ TEMPORAL_CONFIG_FILE: PROFILE_FILE, TEMPORAL_PROFILE: 'cloud' });
    expect(cloud.temporal).toMatchObject({ address: 'acme.a1b2c.tmprl.cloud:7233', namespace: 'acme.a1b2c' });
    // An API key turns TLS on, as Temporal's own clients do.
    expect(temporalConnectionOptions(cloud)).toMatchObject({ apiKey: 'secret-from-file', tls: true });
    expect(describeTemporalTarget(cloud)).toBe(
      "acme.a1b2c.tmprl.cloud:7233 (namespace 'acme.a1b2c', TLS, API key)",
    );
    const overridden = loadConfig({
      TEMPORAL_CONFIG_FILE: PROFILE_FILE,
      TEMPORAL_PROFILE: 'cloud',
      TEMPORAL_NAMESPACE: 'other',
    });
    expect(overridden.temporal.namespace).toBe('other');
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: PROFILE_FILE }).temporal.address).toBe(
      'from-default-profile:7233',
    );
  });

  it('finds the default profile file under HOME, as the temporal CLI does', () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.config/temporalio'), { recursive: true });
    fs.copyFileSync(PROFILE_FILE, path.join(home, '.config/temporalio/temporal.toml'));
    expect(loadConfig({ HOME: home }).temporal.address).toBe('from-default-profile:7233');
  });

  it('TEMPORAL_TLS=false turns TLS off even with an API key', () => {
    const config = loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false', HOME: dir });
    expect(temporalConnectionOptions(config).tls).toBe(false);
  });

  it('says what is wrong, one line per problem', () => {
    expect(configProblems({ TEMPORAL_ADDRESS: 'http://localhost:7233' })).toEqual([
      "TEMPORAL_ADDRESS must be host:port (e.g. localhost:7233), got 'http://localhost:7233'",
    ]);
    expect(
      configProblems({
        TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem'),
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca-missing.pem'),
      }),
    ).toEqual([
      `TEMPORAL_TLS_CLIENT_CERT_PATH must be a readable PEM file, got '${dir}/missing.pem' (no such file)`,
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH must be a readable PEM file, got '${dir}/ca-missing.pem' (no such file)`,
      'TEMPORAL_TLS_CLIENT_CERT_* is set without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH too',
    ]);
    const junk = path.join(dir, 'junk.pem');
    fs.writeFileSync(junk, 'not a certificate');
    expect(
      configProblems({ TEMPORAL_TLS_CLIENT_CERT_PATH: junk, TEMPORAL_TLS_CLIENT_KEY_DATA: 'nope' }),
    ).toEqual([
      'TEMPORAL_TLS_CLIENT_CERT_PATH must hold a PEM certificate; it does not parse as one',
      'TEMPORAL_TLS_CLIENT_KEY_DATA must hold a PEM private key; it does not parse as one',
    ]);
    expect(configProblems({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'k' })).toContain(
      'TEMPORAL_TLS_CLIENT_KEY_* is set without a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH too',
    );
    expect(configProblems({ TEMPORAL_CONFIG_FILE: PROFILE_FILE, TEMPORAL_PROFILE: 'staging' })).toEqual([
      `${PROFILE_FILE} could not be used: Profile 'staging' not found in config data`,
    ]);
    expect(configProblems({ TEMPORAL_CONFIG_FILE: path.join(dir, 'nope.toml') })).toEqual([
      `TEMPORAL_CONFIG_FILE must be a TOML profile file, got '${dir}/nope.toml' (no such file)`,
    ]);
    expect(configProblems({ TEMPORAL_TLS: 'maybe' })).toEqual([
      "TEMPORAL_TLS must be true or false, got 'maybe'",
    ]);
  });
});
