/**
 * Every package the lock installs runs on the Node the project supports (package.json `engines`,
 * the image's node:20): no EBADENGINE warnings on `npm install`. content-disposition@3 and
 * cookie@2 (pulled in by newer @fastify/static and light-my-request) want Node 22 and are ESM-only,
 * which Node 20 before 20.19 cannot require(); package.json `overrides` pins the parents to
 * releases that use their CommonJS, Node 18+ predecessors.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  overrides?: Record<string, string>;
};
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } }>;
};

/** `name@version wants node <range>` for each locked package that refuses `node`. */
function refusing(node: string, include: (p: { dev?: boolean }) => boolean): string[] {
  return Object.entries(lock.packages)
    .filter(([name, p]) => name !== '' && include(p) && p.engines?.node)
    .filter(([, p]) => !semver.satisfies(node, p.engines?.node as string))
    .map(
      ([name, p]) => `${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${p.engines?.node}`,
    );
}

describe('package-lock.json engines', () => {
  const oldest = semver.minVersion(pkg.engines.node)?.version as string;

  it('every runtime package accepts the oldest Node package.json allows', () => {
    expect(oldest).toMatch(/^20\./);
    expect(refusing(oldest, (p) => !p.dev)).toEqual([]);
  });

  it('every package, dev tools included, accepts a current Node 20 (the image runs node:20)', () => {
    expect(refusing('20.19.0', () => true)).toEqual([]);
  });

  it('the pinned parents are the ones installed', () => {
    for (const [name, version] of Object.entries(pkg.overrides ?? {})) {
      const installed = Object.entries(lock.packages).filter(([p]) => p.endsWith(`node_modules/${name}`));
      expect(installed.map(([, p]) => p.version)).toEqual([version]);
    }
  });
});
