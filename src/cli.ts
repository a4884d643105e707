// The `plumage` command line: serve, migrate, and the account management commands.
import { Command, CommanderError } from 'commander';
import { CONFIG_VARIABLES } from './config.ts';
import { CliError, configFrom, withConfigOptions, withDeps } from './cli/context.ts';
import { appsCommand, tokensCommand, usersCommand } from './cli/accounts.ts';
import { requestCommand } from './cli/request.ts';
import { exportCommand, importCommand } from './cli/transfer.ts';
import { examples } from './cli/help.ts';
import { packageVersion } from './cli/version.ts';
import { startServer } from './server.ts';
import { WorkersError, checkWorkers, isClusterWorker, parseWorkers, runPrimary } from './cluster.ts';
import { migrateToLatest } from './storage/db/migrate.ts';
import { ProfileError } from './profile/errors.ts';
import { AppNameError, AppNotFoundError, TokenNotFoundError } from './accounts/accounts.service.ts';

/** Every command; bin/plumage.js runs it with main(), tests read it (every command has help). */
export const program = new Command('plumage')
  .description('A Twitter REST API v1.1 server for profile appearance')
  .version(packageVersion(), '-V, --version', 'print the version of Plumage')
  .addHelpText('after', `${examples('plumage serve --port 8080', 'plumage users add alice --name "Alice"', 'plumage <command> --help')}\n\nDocumentation: docs/cli.md and docs/deploy.md`)
  .showHelpAfterError()
  .exitOverride();

withConfigOptions(program.command('serve'))
  .description('serve the API')
  .option('--workers <n>', 'processes serving the API (node:cluster); more than 1 needs PLUMAGE_REDIS_URL', '1')
  .addHelpText('after', `\nEnvironment:\n${CONFIG_VARIABLES.map(([k, v]) => `  ${k.padEnd(30)} ${v}`).join('\n')}\n${examples('plumage serve', 'PLUMAGE_DATABASE_URL=postgres://db/plumage plumage serve --host 0.0.0.0 --port 3001', 'PLUMAGE_REDIS_URL=redis://127.0.0.1:6379 plumage serve --workers 2')}`)
  .action(async function (this: Command) {
    const config = configFrom(this);
    const workers = parseWorkers(this.opts().workers);
    checkWorkers(config, workers);
    if (workers > 1 && !isClusterWorker()) {
      await runPrimary(config, workers, (m) => process.stderr.write(`plumage: ${m}\n`));
      return;
    }
    const server = await startServer(config);
    server.app.log.info(`Plumage listening on ${server.url}; clients use ${server.deps.config.publicUrl}`);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        server.app.log.info(`${sig}: closing`);
        void server.close().then(() => process.exit(0));
      });
    }
  });

withConfigOptions(program.command('migrate'))
  .description('apply database migrations')
  .addHelpText('after', examples('plumage migrate', 'PLUMAGE_DATABASE_URL=postgres://db/plumage plumage migrate'))
  .action(async function (this: Command) {
    await withDeps(this, async (deps) => {
      const applied = await migrateToLatest(deps.db);
      process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'schema is up to date\n');
    }, { migrate: false });
  });

withConfigOptions(program.command('gc'))
  .description('delete stored images that no account references any more')
  .option('--dry-run', 'only count what would be deleted')
  .option('--grace-minutes <n>', 'keep unreferenced images younger than this (uploads in flight)', '60')
  .option('--json', 'print the final counts as JSON')
  .addHelpText('after', examples('plumage gc --dry-run', 'plumage gc --grace-minutes 1440 --json'))
  .action(async function (this: Command) {
    const o = this.opts();
    if (!/^\d+$/.test(o.graceMinutes)) throw new CliError('--grace-minutes must be a whole number');
    await withDeps(this, async (deps) => {
      const progress = (p: { scanned: number; deleted: number }) => process.stderr.write(`gc: scanned ${p.scanned}, ${o.dryRun ? 'would delete' : 'deleted'} ${p.deleted}\n`);
      const r = await deps.gc.run({ graceMs: Number(o.graceMinutes) * 60_000, dryRun: Boolean(o.dryRun), onProgress: progress });
      if (o.json) process.stdout.write(`${JSON.stringify({ ...r, dry_run: Boolean(o.dryRun) })}\n`);
      else process.stdout.write(`scanned ${r.scanned} blobs: ${r.kept} in use, ${r.young} too recent to judge, ${r.deleted} ${o.dryRun ? 'would be deleted' : 'deleted'}\n`);
    });
  });

program.addCommand(usersCommand());
program.addCommand(appsCommand());
program.addCommand(tokensCommand());
program.addCommand(requestCommand());
program.addCommand(exportCommand());
program.addCommand(importCommand());

const USER_ERRORS = [CliError, ProfileError, AppNotFoundError, AppNameError, TokenNotFoundError, WorkersError];

export async function main(argv: string[] = process.argv): Promise<void> {
  // A closed pipe (`plumage … | head`) ends the output, not in a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
    } else if (USER_ERRORS.some((cls) => e instanceof cls)) {
      process.stderr.write(`plumage: ${(e as Error).message}\n`);
      process.exitCode = e instanceof CliError ? e.exitCode : 1;
    } else {
      process.stderr.write(`plumage: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}
