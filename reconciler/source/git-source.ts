import { KeyedQueue } from '../../core/keyed-queue.js';
import { createHash } from 'node:crypto';
import fs, { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { repoPath } from '../../core/paths.js';
import { guardedAgent, RemoteRefused, urlProblem, type RemotePolicy } from './net-guard.js';

/** Credentials for the Git remote; read when needed, never logged. */
export interface GitAuth {
  readonly username: string;
  readonly password: string;
}

export interface GitSourceOptions {
  readonly url: string;
  /** Branch, tag, or a 40-hex commit. */
  readonly ref: string;
  /** Parent directory for the bare object-store caches. */
  readonly cacheDir: string;
  readonly auth?: () => GitAuth | undefined;
  /** Deadline of each network call (ls-remote, fetch). @default 60_000 */
  readonly timeoutMs?: number;
  /** Which addresses the remote may be at. @default private networks allowed */
  readonly remote?: RemotePolicy;
}

/** A file read from a commit's tree. */
export interface TreeFile {
  readonly oid: string;
  readonly content: Buffer;
}

const isCommitId = (ref: string): boolean => /^[0-9a-f]{40}$/.test(ref);

// Sources that follow folders of one repo share its object store; fetches into one store run
// one at a time (isomorphic-git does not lock its pack and ref writes).
const storeLocks = new KeyedQueue();
const underLock = <T>(key: string, task: () => Promise<T>): Promise<T> => storeLocks.run(key, task);

/**
 * Run one network call with a deadline: its requests get an AbortSignal, and the call is
 * given up at the deadline even if the library does not notice the abort (a remote that
 * accepts and never answers must not hold the source's queue or the store's lock).
 */
export async function withDeadline<T>(
  ms: number,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what}: no answer within ${Math.round(ms / 1000)}s`);
      ctl.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([call(ctl.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Agents that dial only what a remote policy allows, by protocol. */
type Agents = Readonly<Record<'http:' | 'https:', ReturnType<typeof guardedAgent>>>;

/**
 * isomorphic-git's Node client with every request bound to `signal` and sent through the
 * guarded agents: a refused address (an IP literal in the URL, any address a name resolves to,
 * the peer actually reached) fails the request before anything is sent.
 */
const httpWith = (signal: AbortSignal, agents: Agents, policy: RemotePolicy): typeof http => ({
  request: async (req) => {
    const bad = urlProblem(req.url, policy);
    if (bad) throw new RemoteRefused(bad);
    const protocol = new URL(req.url).protocol === 'https:' ? 'https:' : 'http:';
    return http.request({ ...req, signal, agent: agents[protocol] });
  },
});

/**
 * A Git remote read with isomorphic-git into a bare cache directory: never a worktree; files
 * come from the object store, and a re-read after a new commit skips every subtree whose oid did
 * not change. Network errors throw (the caller keeps state and retries with backoff).
 */
export class GitSource {
  readonly gitdir: string;
  /** Per path prefix: the previous read's tree oids and files. */
  #cache = new Map<string, { treeOids: Map<string, string>; files: Map<string, TreeFile> }>();

  readonly #policy: RemotePolicy;
  readonly #agents: Agents;

  constructor(private readonly o: GitSourceOptions) {
    this.gitdir = join(o.cacheDir, createHash('sha256').update(o.url).digest('hex').slice(0, 16));
    this.#policy = o.remote ?? { privateNetworks: true };
    this.#agents = {
      'http:': guardedAgent('http:', this.#policy),
      'https:': guardedAgent('https:', this.#policy),
    };
  }

  get #timeout(): number {
    return this.o.timeoutMs ?? 60_000;
  }

  #onAuth = () => {
    const a = this.o.auth?.();
    return a ? { username: a.username, password: a.password } : { cancel: true };
  };

  async #init(): Promise<void> {
    if (fs.existsSync(join(this.gitdir, 'HEAD'))) return;
    mkdirSync(this.gitdir, { recursive: true });
    await git.init({ fs, gitdir: this.gitdir, bare: true });
    await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.o.url });
  }

  /** The commit the ref points at on the remote (ls-remote; cheap). */
  async remoteHead(): Promise<string> {
    if (isCommitId(this.o.ref)) return this.o.ref;
    const refs = await withDeadline(this.#timeout, `ls-remote ${this.o.url}`, (signal) =>
      git.listServerRefs({
        http: httpWith(signal, this.#agents, this.#policy),
        url: this.o.url,
        onAuth: this.#onAuth,
        prefix: 'refs/',
        peelTags: true,
      }),
    );
    const want = [`refs/heads/${this.o.ref}`, `refs/tags/${this.o.ref}`, this.o.ref];
    for (const name of want) {
      const r = refs.find((x) => x.ref === name);
      if (r) return r.peeled ?? r.oid;
    }
    throw new Error(`ref "${this.o.ref}" not found on ${this.o.url}`);
  }

  /** Fetch the ref's commits into the cache unless `have` already is the remote head. */
  async fetch(have?: string): Promise<{ commit: string; fetched: boolean }> {
    const head = await this.remoteHead();
    return underLock(this.gitdir, () => this.#fetchLocked(head, have));
  }

  async #fetchLocked(
    head: string,
    have: string | undefined,
  ): Promise<{ commit: string; fetched: boolean }> {
    await this.#init();
    if (head === have || (await this.#hasCommit(head))) return { commit: head, fetched: false };
    await withDeadline(this.#timeout, `fetch ${this.o.url}`, (signal) =>
      git.fetch({
        fs,
        http: httpWith(signal, this.#agents, this.#policy),
        gitdir: this.gitdir,
        url: this.o.url,
        onAuth: this.#onAuth,
        singleBranch: true,
        tags: false,
        ...(isCommitId(this.o.ref) ? {} : { ref: this.o.ref }),
      }),
    );
    if (!(await this.#hasCommit(head)))
      throw new Error(`commit ${head} not found after fetching ${this.o.url}`);
    // isomorphic-git offers the remote, as what it has, the local ref of the name it fetches;
    // the fetch writes only refs/remotes/origin/…, so without this every fetch was the whole
    // history again (11,000 files: 1.8 s against git fetch's 0.1 s).
    // Best effort: a name git would not take as a ref (isomorphic-git refuses `..` and the like,
    // so nothing is written outside refs/) only costs the next fetch its `have`.
    if (!isCommitId(this.o.ref))
      await git
        .writeRef({ fs, gitdir: this.gitdir, ref: this.#haveRef, value: head, force: true })
        .catch(() => undefined);
    return { commit: head, fetched: true };
  }

  /** The local ref isomorphic-git's fetch reads its `have` from (see #fetchLocked). */
  get #haveRef(): string {
    return this.o.ref.startsWith('refs/') ? this.o.ref : `refs/heads/${this.o.ref}`;
  }

  async #hasCommit(oid: string): Promise<boolean> {
    try {
      await git.readCommit({ fs, gitdir: this.gitdir, oid });
      return true;
    } catch {
      return false;
    }
  }

  /** The raw commit object, for signature verification. */
  async rawCommit(oid: string): Promise<Buffer> {
    const { object } = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'content' });
    return Buffer.from(object as Uint8Array);
  }

  async parents(oid: string): Promise<string[]> {
    return (await git.readCommit({ fs, gitdir: this.gitdir, oid })).commit.parent;
  }

  /** True when `oid` has `ancestor` in its history (a fast-forward from ancestor). */
  async descendsFrom(oid: string, ancestor: string): Promise<boolean> {
    if (oid === ancestor) return true;
    return git.isDescendent({ fs, gitdir: this.gitdir, oid, ancestor, depth: -1 });
  }

  /**
   * Every file under `path` (repo-relative, '' or '.' for all) at `commit`, keyed by path.
   * Subtrees whose oid matches the previous read are carried over without being read, and a
   * blob whose oid is unchanged is not read again: a commit that changes one file of 10,000 in
   * one directory reads that directory's tree object and one blob.
   */
  async readTree(commit: string, path: string): Promise<Map<string, TreeFile>> {
    const prefix = repoPath(path);
    const prev = this.#cache.get(prefix) ?? {
      treeOids: new Map<string, string>(),
      files: new Map<string, TreeFile>(),
    };
    const treeOids = new Map<string, string>();
    const files = new Map<string, TreeFile>();
    const gitdir = this.gitdir;
    const cache = {};
    const carryOver = (dir: string): void => {
      for (const [p, f] of prev.files) if (p.startsWith(`${dir}/`)) files.set(p, f);
      for (const [p, oid] of prev.treeOids) if (p.startsWith(`${dir}/`)) treeOids.set(p, oid);
    };
    const blob = async (p: string, oid: string): Promise<void> => {
      const cached = prev.files.get(p);
      files.set(
        p,
        cached?.oid === oid
          ? cached
          : { oid, content: Buffer.from((await git.readBlob({ fs, gitdir, oid, cache })).blob) },
      );
    };
    const readDir = async (dir: string, oid: string): Promise<void> => {
      treeOids.set(dir, oid);
      if (prev.treeOids.get(dir) === oid) return carryOver(dir);
      const { tree } = await git.readTree({ fs, gitdir, oid, cache });
      for (const e of tree) {
        const p = dir === '' ? e.path : `${dir}/${e.path}`;
        if (e.type === 'tree') await readDir(p, e.oid);
        else if (e.type === 'blob') await blob(p, e.oid);
      }
    };
    // Down to the path, then everything under it.
    let oid = (await git.readCommit({ fs, gitdir, oid: commit, cache })).commit.tree;
    let at = '';
    let found = true;
    for (const seg of prefix === '' ? [] : prefix.split('/')) {
      const { tree } = await git.readTree({ fs, gitdir, oid, cache });
      const e = tree.find((x) => x.path === seg);
      at = at === '' ? seg : `${at}/${seg}`;
      if (!e || e.type === 'commit') {
        found = false;
        break;
      }
      if (e.type === 'blob') {
        await blob(at, e.oid);
        found = false;
        break;
      }
      oid = e.oid;
    }
    if (found) {
      if (prefix === '') {
        const { tree } = await git.readTree({ fs, gitdir, oid, cache });
        for (const e of tree)
          if (e.type === 'tree') await readDir(e.path, e.oid);
          else if (e.type === 'blob') await blob(e.path, e.oid);
      } else await readDir(prefix, oid);
    }
    this.#cache.set(prefix, { treeOids, files });
    const out = new Map<string, TreeFile>();
    for (const [p, f] of files)
      if (prefix === '' || p === prefix || p.startsWith(`${prefix}/`)) out.set(p, f);
    return out;
  }
}
