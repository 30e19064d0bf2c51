/**
 * The `clasper` CLI program. Thin on purpose: it parses arguments with commander, reads the
 * environment once (`.env` in the current directory under the real environment, like make dev
 * and the scripts, so `clasper doctor` sees what make dev runs with) and hands typed options to
 * the command modules, which do the work and return an exit code. `bin/clasper.js` calls `main()`.
 */
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig, readDotEnvFile, type Config } from '../config';
import { runDoctor } from './doctor';
import { runInit } from './init';
import { fail, processOut, type Out } from './output';
import { runScheduleTrigger, runSchedulePause, runScheduleUnpause, runSchedulesList } from './schedules';
import { DEFAULT_SEND_TIMEOUT_SEC, runSend } from './send';
import { runApprovalDecision, runApprovalsList, runTurnsCancel } from './control';
import { runTurnsShow } from './turns';
import { runWorkspaceCheck } from './workspace';

type Loaded = { config: Config; problems?: undefined } | { config?: undefined; problems: string[] };

function readConfig(env: NodeJS.ProcessEnv): Loaded {
  try {
    return { config: loadConfig(env) };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems };
    throw err;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

const intOption = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number of seconds, got '${value}'`);
  return n;
};

export function buildProgram(out: Out, env: NodeJS.ProcessEnv, setExit: (code: number) => void): Command {
  let loaded: Loaded | undefined;
  const config = () => (loaded ??= readConfig(env));
  /** Runs a command that needs a valid configuration; a bad environment is reported like any failure. */
  const withConfig = async (json: boolean | undefined, fn: (config: Config) => Promise<number>) => {
    const c = config();
    setExit(
      c.config ? await fn(c.config) : fail({ out, json: json === true }, 'invalid configuration', c.problems),
    );
  };

  const program = new Command('clasper')
    .description('Clasper on Temporal: durable agent runtime CLI')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => out.stdout(s), writeErr: (s) => out.stderr(s) });

  program
    .command('init')
    .description('scaffold a workspace from the example (existing files are kept unless --force)')
    .argument('[dir]', 'folder to create (default: CLASPER_WORKSPACE or ./workspace)')
    .option('-f, --force', 'overwrite files that already exist')
    .option('--json', 'print JSON')
    .action(async (dir: string | undefined, o: { force?: boolean; json?: boolean }) => {
      setExit(await runInit(dir ?? config().config?.agent.workspace ?? './workspace', o, { out }));
    });

  program
    .command('send')
    .description('send a message to an agent and print its reply')
    .argument('[message]', 'the message (default: read from stdin)')
    .option('--user <id>', 'user id (default: USER_ID)')
    .option('--role <role>', 'agent role (default: AGENT_ROLE or "agent")')
    .option('--session-key <key>', 'user:<user_id>:<role>, instead of --user/--role')
    .option('--task-title <title>', 'reply on the task with this title (found or created)')
    .option('--task-id <id>', 'reply on this task')
    .option('--idempotency-key <key>', 'the same key returns the same turn instead of running it again')
    .option('--no-wait', 'start the turn and print its id without waiting')
    .addOption(
      new Option('--timeout <seconds>', 'stop waiting after this long (the turn keeps running)')
        .argParser(intOption)
        .default(DEFAULT_SEND_TIMEOUT_SEC),
    )
    .option('--api <url>', 'Clasper API base URL (default: http://localhost:$CLASPER_PORT)')
    .option('--json', 'print the turn result as JSON')
    .action(async (message: string | undefined, o: Record<string, unknown>) => {
      const json = o.json === true;
      await withConfig(json, (cfg) =>
        runSend(
          {
            message,
            user: o.user as string | undefined,
            role: o.role as string | undefined,
            sessionKey: o.sessionKey as string | undefined,
            taskTitle: o.taskTitle as string | undefined,
            taskId: o.taskId as string | undefined,
            idempotencyKey: o.idempotencyKey as string | undefined,
            wait: o.wait !== false,
            timeoutSec: o.timeout as number,
            api: o.api as string | undefined,
            json,
          },
          { config: cfg, out, readStdin: process.stdin.isTTY ? undefined : readStdin },
        ),
      );
    });

  const turns = program.command('turns').description('inspect agent turns');
  turns
    .command('show')
    .description("a turn's status and result")
    .argument('<turn_id>', 'turn id, e.g. agent-turn/u1/3f2a…')
    .option('--api <url>', 'Clasper API base URL (default: http://localhost:$CLASPER_PORT)')
    .option('--json', 'print JSON')
    .action(async (turnId: string, o: { api?: string; json?: boolean }) => {
      await withConfig(o.json, (cfg) => runTurnsShow(turnId, o, { config: cfg, out }));
    });

  turns
    .command('cancel')
    .description('cancel a running turn: no reply is posted, it ends cancelled with the reason')
    .argument('<turn_id>', 'turn id')
    .option('--reason <text>', 'why (shown in the turn status and the agent.cancelled webhook)')
    .option('--api <url>', 'Clasper API base URL (default: http://localhost:$CLASPER_PORT)')
    .option('--json', 'print JSON')
    .action(async (turnId: string, o: { api?: string; json?: boolean; reason?: string }) => {
      await withConfig(o.json, (cfg) => runTurnsCancel(turnId, o, { config: cfg, out }));
    });

  const approvals = program.command('approvals').description('tool calls waiting for a person');
  approvals
    .command('list')
    .description('every tool call waiting for approval')
    .option('--user <user_id>', 'only this user')
    .option('--api <url>', 'Clasper API base URL (default: http://localhost:$CLASPER_PORT)')
    .option('--json', 'print JSON')
    .action(async (o: { api?: string; json?: boolean; user?: string }) => {
      await withConfig(o.json, (cfg) => runApprovalsList(o, { config: cfg, out }));
    });
  for (const decision of ['approve', 'deny'] as const) {
    approvals
      .command(decision)
      .description(
        decision === 'approve' ? 'run the tool call (optionally with edited arguments)' : 'refuse it',
      )
      .argument('<turn_id>', 'turn id')
      .argument('<call_id>', 'tool call id')
      .option('--reason <text>', 'why')
      .option('--api <url>', 'Clasper API base URL (default: http://localhost:$CLASPER_PORT)')
      .option('--json', 'print JSON')
      .action(
        async (
          turnId: string,
          callId: string,
          o: { api?: string; json?: boolean; reason?: string; arguments?: string },
        ) => {
          await withConfig(o.json, (cfg) =>
            runApprovalDecision(decision, turnId, callId, o, { config: cfg, out }),
          );
        },
      );
  }
  approvals.commands
    .find((c) => c.name() === 'approve')
    ?.option('--arguments <json>', 'edited arguments (JSON object)');

  const schedules = program
    .command('schedules')
    .description("Clasper's Temporal Schedules (dispatcher, heartbeats, standups), via Temporal directly");
  schedules
    .command('list')
    .description('schedules whose id starts with clasper-')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withConfig(o.json, (cfg) => runSchedulesList(o, { config: cfg, out }));
    });
  schedules
    .command('trigger')
    .description('run a schedule now')
    .argument('<schedule_id>')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withConfig(o.json, (cfg) => runScheduleTrigger(id, o, { config: cfg, out }));
    });
  schedules
    .command('pause')
    .description('pause a schedule')
    .argument('<schedule_id>')
    .option('--note <text>', 'why (shown in the Temporal UI)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean; note?: string }) => {
      await withConfig(o.json, (cfg) => runSchedulePause(id, o, { config: cfg, out }));
    });
  schedules
    .command('unpause')
    .description('resume a paused schedule')
    .argument('<schedule_id>')
    .option('--note <text>', 'why (shown in the Temporal UI)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean; note?: string }) => {
      await withConfig(o.json, (cfg) => runScheduleUnpause(id, o, { config: cfg, out }));
    });

  const workspace = program.command('workspace').description('the workspace of markdown files');
  workspace
    .command('check')
    .description('every file parses, sizes, roles found, skill gating; exit 1 on errors')
    .option('--dir <dir>', 'workspace folder (default: CLASPER_WORKSPACE)')
    .option('--json', 'print JSON')
    .action(async (o: { dir?: string; json?: boolean }) => {
      await withConfig(o.json, (cfg) => runWorkspaceCheck(o, { config: cfg, out, env }));
    });

  program
    .command('doctor')
    .description('check config, Temporal, worker, backend and agent token, model endpoint, API, workspace')
    .option('--api <url>', 'Clasper API base URL (default: http://localhost:$CLASPER_PORT)')
    .option('--json', 'print JSON')
    .action(async (o: { api?: string; json?: boolean }) => {
      const c = config();
      setExit(await runDoctor(o, { config: c.config, configProblems: c.problems, out, env }));
    });

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: string[] = process.argv,
  out: Out = processOut(),
  env: NodeJS.ProcessEnv = { ...readDotEnvFile(path.join(process.cwd(), '.env')), ...process.env },
): Promise<number> {
  let code = 0;
  const program = buildProgram(out, env, (c) => (code = c));
  program.exitOverride();
  for (const sub of program.commands) {
    sub.exitOverride();
    for (const leaf of sub.commands) leaf.exitOverride();
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    out.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return code;
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
