/** The context every result carries: machine, load, date, versions, commit. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, temporalCliPath } from '../../scripts/lib/temporal-dev-server';

export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  ramGiB: number;
  kernel: string;
  loadAverage: number[];
  node: string;
  packages: Record<string, string>;
  temporalCli: string;
  commit: string;
}

const PACKAGES = ['@temporalio/worker', '@temporalio/client', 'fastify', 'openai', 'tsx'];

function pkgVersion(name: string): string {
  try {
    const file = path.join(REPO_ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '?';
  }
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? '?';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']) ? ' (uncommitted changes)' : '';
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel,
    ramGiB: os.totalmem() / 1024 ** 3,
    kernel: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg(),
    node: process.version,
    packages: Object.fromEntries(PACKAGES.map((p) => [p, pkgVersion(p)])),
    temporalCli: run(temporalCliPath(), ['--version']).replace(/^temporal version /, ''),
    commit: `${run('git', ['rev-parse', '--short', 'HEAD'])}${dirty}`,
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}
