import t from 'tap';
import { Writable } from 'node:stream';
import { makeLogger } from '../../core/logger.js';

// Log stacks (Loki, Elasticsearch, Cloud Logging) read the level's name, not pino's number.
t.test('a log line names its level and component', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = makeLogger('webhook', 'info', sink);
  log.info({ revision: 'r1' }, 'policy bundle loaded');
  log.warn('slow');
  log.debug('not written at info');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(
    parsed.map((p) => [p.level, p.component, p.msg]),
    [
      ['info', 'webhook', 'policy bundle loaded'],
      ['warn', 'webhook', 'slow'],
    ],
  );
  t.equal(parsed[0]?.revision, 'r1');
});
