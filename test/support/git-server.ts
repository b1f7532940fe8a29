import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execOk } from '../../core/exec.js';
import type { Signer } from './signing.js';

/** Real `git http-backend` (smart HTTP) on loopback over bare repos in a temp directory. */
export interface GitServer {
  readonly root: string;
  /** The port stays the same across stop()/start(). */
  readonly port: number;
  url(repo: string): string;
  /** A bare repository plus a work clone to commit from. */
  createRepo(name: string): Promise<GitRepo>;
  /** Stop answering (connections refused) without losing the repos. */
  pause(): Promise<void>;
  /** Answer again on the same port. */
  resume(): Promise<void>;
  /** Stop and remove everything. Safe to call twice. */
  stop(): Promise<void>;
}

export interface CommitOptions {
  readonly message?: string;
  /** Sign with this key; unsigned when absent. */
  readonly signer?: Signer;
  /** Author and committer; the signer's identity by default. */
  readonly author?: { readonly name: string; readonly email: string };
  /** Commit timestamp (seconds since the epoch) for latency tests. */
  readonly date?: number;
  /** Force-push (rewrite the branch). */
  readonly force?: boolean;
}

export interface GitRepo {
  readonly name: string;
  readonly url: string;
  readonly bare: string;
  readonly work: string;
  /** Write (string) or delete (null) files, commit them all, push; resolves the commit id. */
  commit(files: Readonly<Record<string, string | null>>, opts?: CommitOptions): Promise<string>;
  /** Run git in the work clone. */
  git(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** Store a commit object with exactly this text (for crafted commits); resolves its id. */
  writeCommit(text: string): Promise<string>;
}

/** Answer one smart-HTTP request through git http-backend (CGI). */
function cgi(root: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const child = spawn('git', ['http-backend'], {
    env: {
      ...process.env,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
    },
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    res.write(head.subarray(end + 4));
  });
  child.on('close', (code) => {
    if (!headersDone) {
      res.statusCode = 500;
      res.end(`git http-backend exited ${code}`);
    } else res.end();
  });
  child.on('error', () => {
    res.statusCode = 500;
    res.end('git http-backend could not start');
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Basic-auth credentials the server demands, when given. */
export interface GitServerOptions {
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Listen address (a real node's pods reach the host at its node IP). @default 127.0.0.1 */
  readonly host?: string;
}

/** Start a Git server on a free loopback port. Call stop() when done. */
export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const base = mkdtempSync(join(tmpdir(), 'driftgate-git-'));
  const root = join(base, 'repos');
  mkdirSync(root);
  const want = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`
    : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (want && req.headers.authorization !== want) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="driftgate-test"' });
      res.end('authentication required');
      return;
    }
    cgi(root, req, res);
  };
  let server = createServer(handler);
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, 0, host);
  const url = (repo: string): string => `http://${host}:${port}/${repo}.git`;
  let stopped = false;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    root,
    port,
    url,
    createRepo: (name) => createRepo(base, root, name, url(name)),
    pause: close,
    async resume() {
      server = createServer(handler);
      await listen(server, port, host);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (server.listening) await close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

async function createRepo(base: string, root: string, name: string, url: string): Promise<GitRepo> {
  const bare = join(root, `${name}.git`);
  const work = join(base, 'work', name);
  await execOk('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  await execOk('git', ['-C', bare, 'config', 'http.receivepack', 'true']);
  await execOk('git', ['init', '-q', '-b', 'main', work]);
  await execOk('git', ['-C', work, 'remote', 'add', 'origin', bare]);
  const git = (args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> =>
    execOk('git', ['-C', work, ...args], { env });
  return {
    name,
    url,
    bare,
    work,
    git,
    writeCommit: async (text) =>
      (
        await execOk('git', ['-C', work, 'hash-object', '-t', 'commit', '-w', '--stdin'], {
          input: text,
        })
      ).trim(),
    async commit(files, opts = {}) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(work, path);
        if (content === null) unlinkSync(full);
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      const who = opts.author ??
        opts.signer ?? { name: 'driftgate test', email: 'test@driftgate.invalid' };
      const env: NodeJS.ProcessEnv = {
        ...(opts.signer?.env ?? process.env),
        GIT_AUTHOR_NAME: who.name,
        GIT_AUTHOR_EMAIL: who.email,
        GIT_COMMITTER_NAME: who.name,
        GIT_COMMITTER_EMAIL: who.email,
        ...(opts.date === undefined
          ? {}
          : { GIT_AUTHOR_DATE: `${opts.date} +0000`, GIT_COMMITTER_DATE: `${opts.date} +0000` }),
      };
      const sign = opts.signer
        ? [...opts.signer.gitConfig.flatMap((c) => ['-c', c]), 'commit', '-S']
        : ['commit'];
      await git(['add', '-A'], env);
      await git([...sign, '-q', '--allow-empty', '-m', opts.message ?? 'update'], env);
      await git(['push', '-q', ...(opts.force ? ['-f'] : []), 'origin', 'HEAD:main'], env);
      return (await git(['rev-parse', 'HEAD'])).trim();
    },
  };
}
