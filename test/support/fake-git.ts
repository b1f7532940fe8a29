// An in-memory Git history for the reconciler shell's unit tests: commits are file maps, signed
// or not. Real Git (git http-backend, isomorphic-git) and real signatures run in the e2e suites;
// mocked here so that dozens of shell cases run in milliseconds.

/** A linear history; each commit is a tree of files, signed or not. */
export class FakeGit {
  commits: { oid: string; files: Record<string, string>; signed: boolean }[] = [];
  down = false;
  commit(files: Record<string, string>, signed = true): string {
    const oid = `c${this.commits.length}`.padEnd(40, '0');
    this.commits.push({ oid, files, signed });
    return oid;
  }
  #find(oid: string) {
    const c = this.commits.find((x) => x.oid === oid);
    if (!c) throw new Error(`no commit ${oid}`);
    return c;
  }
  async fetch() {
    if (this.down) throw new Error('connect ECONNREFUSED http://user:hunter2@git.example');
    return { commit: (this.commits.at(-1) as { oid: string }).oid, fetched: true };
  }
  async readTree(oid: string, prefix: string) {
    const files = Object.entries(this.#find(oid).files).filter(
      ([p]) => !prefix || p.startsWith(`${prefix}/`),
    );
    return new Map(files.map(([p, s]) => [p, { oid: p, content: Buffer.from(s) }]));
  }
  async rawCommit(oid: string) {
    return Buffer.from(`${oid}\ncommitter Sam <sam@example.com> 1764500000 +0000\n`);
  }
  async descendsFrom(a: string, b: string) {
    return this.commits.findIndex((c) => c.oid === a) > this.commits.findIndex((c) => c.oid === b);
  }
  async parents(oid: string) {
    const i = this.commits.findIndex((c) => c.oid === oid);
    return i > 0 ? [(this.commits[i - 1] as { oid: string }).oid] : [];
  }
  signed(raw: Buffer): boolean {
    return this.#find(raw.toString().split('\n')[0] as string).signed;
  }
}
