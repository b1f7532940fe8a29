// A real Gitea (built from the Go module proxy by scripts/tools.sh) for the notification tests:
// a Git host whose commit status API is read back. On loopback, SQLite, offline, one admin user
// with an API token. CI runs as root, which Gitea refuses unless told it is knowingly so.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execOk } from '../../core/exec.js';
import { freePort } from './ports.js';
import { answering, supervise } from './processes.js';
import { toolPath } from './tools.js';

export interface Gitea {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly user: string;
  /** An API token of the admin user (write:repository). */
  readonly token: string;
  /** GET or POST the API as the admin user; resolves with the status and parsed body. */
  api(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  /** Clone URL of a repository of the admin user, with or without credentials. */
  repoURL(name: string, withCredentials?: boolean): string;
  stop(): Promise<void>;
}

export async function startGitea(): Promise<Gitea> {
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-gitea-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = () => randomBytes(24).toString('hex');
  for (const d of ['data', 'repos', 'log', 'custom']) mkdirSync(join(dir, d));
  const config = join(dir, 'custom', 'app.ini');
  writeFileSync(
    config,
    [
      'APP_NAME = driftgate-test',
      'RUN_MODE = prod',
      'I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true',
      `WORK_PATH = ${dir}`,
      '[database]',
      'DB_TYPE = sqlite3',
      `PATH = ${join(dir, 'data', 'gitea.db')}`,
      '[repository]',
      `ROOT = ${join(dir, 'repos')}`,
      'DEFAULT_BRANCH = main',
      '[server]',
      // Its locales and templates, kept beside the binary by scripts/tools.sh.
      `STATIC_ROOT_PATH = ${join(dirname(toolPath('gitea')), 'gitea-assets')}`,
      'PROTOCOL = http',
      'HTTP_ADDR = 127.0.0.1',
      `HTTP_PORT = ${port}`,
      `ROOT_URL = ${url}/`,
      `APP_DATA_PATH = ${join(dir, 'data')}`,
      'DISABLE_SSH = true',
      'OFFLINE_MODE = true',
      'LFS_START_SERVER = false',
      '[security]',
      'INSTALL_LOCK = true',
      `SECRET_KEY = ${secret()}`,
      `INTERNAL_TOKEN = ${secret()}`,
      '[oauth2]',
      `JWT_SECRET = ${randomBytes(32).toString('base64url')}`,
      '[service]',
      'DISABLE_REGISTRATION = true',
      '[mailer]',
      'ENABLED = false',
      '[session]',
      'PROVIDER = memory',
      '[cache]',
      'ADAPTER = memory',
      '[cron]',
      'ENABLED = false',
      '[log]',
      'MODE = file',
      'LEVEL = Warn',
      `ROOT_PATH = ${join(dir, 'log')}`,
      '',
    ].join('\n'),
  );
  const gitea = toolPath('gitea');
  const env = { ...process.env, GITEA_WORK_DIR: dir, HOME: dir };
  const run = (args: string[]) =>
    execOk(gitea, ['--config', config, '--work-path', dir, ...args], { env, timeoutMs: 120_000 });
  await run(['migrate']);
  const user = 'driftgate';
  await run([
    'admin',
    'user',
    'create',
    '--username',
    user,
    '--password',
    secret(),
    '--email',
    'driftgate@example.com',
    '--admin',
    '--must-change-password=false',
  ]);
  const token = (
    await run([
      'admin',
      'user',
      'generate-access-token',
      '--username',
      user,
      '--token-name',
      'driftgate-test',
      '--scopes',
      'write:repository,write:user',
      '--raw',
    ])
  ).trim();
  const proc = supervise(
    'gitea',
    gitea,
    ['web', '--config', config, '--work-path', dir],
    join(dir, 'log', 'web.log'),
    env,
  );
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const api: Gitea['api'] = async (method, path, body) => {
    const r = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  await answering('gitea', `${url}/api/healthz`, stop);
  return {
    url,
    user,
    token,
    api,
    repoURL: (name, withCredentials = false) =>
      withCredentials
        ? `http://${user}:${token}@127.0.0.1:${port}/${user}/${name}.git`
        : `${url}/${user}/${name}.git`,
    stop,
  };
}
