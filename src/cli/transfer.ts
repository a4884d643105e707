// `plumage export <file>` and `plumage import <file>`: move every account, app, token and image
// between hosts or storage shapes (SQLite + files ⇄ PostgreSQL + S3). See docs/cli.md.
import { Command } from 'commander';
import { ExportError, ExportService, type TransferProgress } from '../maintenance/export.service.ts';
import { ImportError, ImportService } from '../maintenance/import.service.ts';
import { CliError, printJson, withConfigOptions, withDeps } from './context.ts';
import { ProgressReporter } from './progress.ts';
import { packageVersion } from './version.ts';
import { examples } from './help.ts';

const LABELS: Record<TransferProgress['phase'], string> = {
  checksum: 'checking images',
  write: 'writing archive',
  read: 'reading archive',
  insert: 'inserting rows',
};

function reporter(command: string, quiet: boolean): { onProgress?: (p: TransferProgress) => void; end(): void } {
  if (quiet) return { end() {} };
  const r = new ProgressReporter(command);
  return { onProgress: (p) => r.update(LABELS[p.phase], p.done, p.total), end: () => r.end() };
}

function describeCounts(tables: Record<string, number>, blobs: number, bytes: number): string {
  const rows = Object.entries(tables).map(([t, n]) => `${n} ${t.replace(/_/g, ' ')}`).join(', ');
  return `${rows}; ${blobs} images (${(bytes / 1024 / 1024).toFixed(1)} MB)`;
}

/** Service errors are user errors: one line on stderr, exit 1. */
async function asCliError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ExportError || e instanceof ImportError) throw new CliError(e.message);
    throw e;
  }
}

export function exportCommand(): Command {
  return withConfigOptions(new Command('export'))
    .description('write every account, app, token and image into one portable archive')
    .argument('<file>', 'archive to write (.tar, or gzipped when it ends in .gz or .tgz)')
    .option('--gzip', 'compress with gzip whatever the file name')
    .option('--force', 'replace the file when it exists')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print the counts as JSON')
    .addHelpText('after', `
The archive holds secrets (consumer secrets, access tokens): it is written with mode 0600;
keep it as safe as the database.
${examples('plumage export backup.tar.gz', 'PLUMAGE_DATABASE_URL=postgres://db/plumage plumage export --force /srv/plumage.tar')}`)
    .action(async function (this: Command, file: string) {
      const o = this.opts();
      await withDeps(this, async (deps) => {
        const source = {
          database: deps.config.database ? 'postgresql' : 'sqlite',
          blobs: deps.config.s3 ? 's3' : 'filesystem',
        } as const;
        const progress = reporter('export', Boolean(o.quiet));
        const r = await asCliError(() =>
          new ExportService(deps.db, deps.blobs, source, packageVersion()).run({
            file,
            gzip: Boolean(o.gzip) || /\.(t?gz)$/i.test(file),
            overwrite: Boolean(o.force),
            onProgress: progress.onProgress,
          }),
        ).finally(() => progress.end());
        if (o.json) printJson({ file: r.file, tables: r.tables, images: r.blobs, image_bytes: r.blobBytes, archive_bytes: r.archiveBytes });
        else process.stdout.write(`exported ${describeCounts(r.tables, r.blobs, r.blobBytes)} to ${r.file}\n`);
      });
    });
}

export function importCommand(): Command {
  return withConfigOptions(new Command('import'))
    .description('read an archive made by `plumage export` into this database and blob store')
    .argument('<file>', 'archive to read (.tar or gzipped)')
    .option('--replace', 'delete every account, app and token already in the database (in the same transaction) instead of refusing')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print the counts as JSON')
    .addHelpText('after', `
Nothing is half-imported: the archive is checked entry by entry against its manifest,
images are written first and rows last in one transaction; on any error the images
written by this run are removed and the database is left as it was.
${examples('PLUMAGE_DATABASE_URL=postgres://db/plumage PLUMAGE_S3_BUCKET=media plumage import backup.tar.gz', 'plumage import --replace backup.tar')}`)
    .action(async function (this: Command, file: string) {
      const o = this.opts();
      await withDeps(this, async (deps) => {
        const progress = reporter('import', Boolean(o.quiet));
        const r = await asCliError(() =>
          new ImportService(deps.db, deps.blobs).run({ file, replace: Boolean(o.replace), onProgress: progress.onProgress }),
        ).finally(() => progress.end());
        if (o.json) printJson({ tables: r.tables, images: r.blobs, image_bytes: r.blobBytes, replaced: r.replaced });
        else process.stdout.write(`imported ${describeCounts(r.tables, r.blobs, r.blobBytes)}${r.replaced ? ' (previous rows replaced)' : ''}\n`);
      });
    });
}
