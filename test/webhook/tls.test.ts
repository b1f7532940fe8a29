import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { createCertificate, type CertifiedKey } from '../../webhook/tls/pki.js';
import { generatedCertificateSource, rotationStep } from '../../webhook/tls/generated-source.js';
import { waitFor } from '../support/processes.js';
import { metricValue, startTestWebhook } from '../support/webhook.js';

const DAY = 86_400_000;

function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()?.serialNumber ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

t.test(
  'certificate files replaced on disk are served to the next connection, no restart',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-tls-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const ca = createCertificate({ commonName: 'test ca', usage: 'ca' });
    const leaf = (): CertifiedKey =>
      createCertificate({
        commonName: 'webhook',
        usage: 'server',
        issuer: ca,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
      });
    const install = (k: CertifiedKey): void => {
      // Write then rename, as a Secret volume update does.
      writeFileSync(join(dir, 'tls.crt.new'), k.certPem);
      writeFileSync(join(dir, 'tls.key.new'), k.keyPem);
      renameSync(join(dir, 'tls.key.new'), join(dir, 'tls.key'));
      renameSync(join(dir, 'tls.crt.new'), join(dir, 'tls.crt'));
    };
    const first = leaf();
    install(first);
    const wh = await startTestWebhook(undefined, {
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
    });
    t.teardown(() => wh.stop());
    const port = wh.handle.port;
    const serialOf = (k: CertifiedKey) => new X509Certificate(k.certPem).serialNumber;
    t.equal(await servedSerial(port, ca.certPem), serialOf(first));

    // A connection opened before the swap keeps working after it.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem });
    t.teardown(() => agent.destroy());
    const healthz = () =>
      new Promise<number>((resolve, reject) => {
        request(`https://127.0.0.1:${port}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
    t.equal(await healthz(), 200);

    const second = leaf();
    install(second);
    await waitFor(
      'the new certificate to be served',
      async () => (await servedSerial(port, ca.certPem)) === serialOf(second),
      15_000,
      100,
    );
    t.pass('new connections get the new certificate');
    t.equal(await healthz(), 200, 'the connection opened before the swap still answers');

    // A key that does not match the certificate is ignored; the good pair stays.
    const refusals = async () =>
      metricValue(await wh.metrics(), 'driftgate_webhook_certificate_reload_errors_total') ?? 0;
    const before = await refusals();
    writeFileSync(
      join(dir, 'tls.key'),
      createCertificate({ commonName: 'x', usage: 'server', issuer: ca }).keyPem,
    );
    // Wait until the webhook has read and refused the pair (its metric), then check what it serves.
    await waitFor(
      'the mismatched pair to be read and refused',
      async () => (await refusals()) > before,
      15_000,
      100,
    );
    t.equal(await servedSerial(port, ca.certPem), serialOf(second), 'mismatched key ignored');
  },
);

t.test('TLS below 1.2 is refused', async (t) => {
  const wh = await startTestWebhook();
  t.teardown(() => wh.stop());
  const err = await new Promise<Error | undefined>((resolve) => {
    const s = connect(
      {
        host: '127.0.0.1',
        port: wh.handle.port,
        ca: wh.handle.caBundle(),
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      },
      () => {
        s.end();
        resolve(undefined);
      },
    );
    s.on('error', resolve);
  });
  t.ok(err, `TLS 1.1 handshake fails: ${err?.message}`);
});

t.test(
  'generated certificates rotate well before expiry; a CA rotation overlaps in the bundle',
  async (t) => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const dir = mkdtempSync(join(tmpdir(), 'dg-gen-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const src = generatedCertificateSource({
      dir,
      dnsNames: ['driftgate.driftgate-system.svc'],
      caValidityDays: 30,
      servingValidityDays: 9,
      nowMs: () => now,
    });
    t.teardown(() => src.close());
    const changes: string[] = [];
    src.onChange((m) => changes.push(new X509Certificate(m.certPem).serialNumber));
    const caOf = (pem: string) => new X509Certificate(pem);
    const bundleCerts = () =>
      readFileSync(src.caBundleFile, 'utf8').match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    const serving0 = src.current().certPem;
    t.ok(
      new X509Certificate(serving0).checkIssued(caOf(src.current().caBundlePem)),
      'serving cert issued by the bundle CA',
    );
    t.match(new X509Certificate(serving0).subjectAltName, /DNS:driftgate\.driftgate-system\.svc/);

    now += 2 * DAY;
    src.check();
    t.equal(changes.length, 0, 'nothing to do with most of the life left');
    now += 5 * DAY; // 7 of 9 days used: under a third left
    src.check();
    t.equal(changes.length, 1, 'serving certificate renewed before expiry');
    t.equal(bundleCerts(), 1, 'same CA');

    now += 14 * DAY; // CA: 21 of 30 days used
    src.check();
    t.equal(bundleCerts(), 2, 'new CA added beside the old one in the bundle');
    t.equal(changes.length, 2);
    const stillOld = src.current().certPem;
    const [newCa] = src.current().caBundlePem.split(/(?=-----BEGIN CERTIFICATE-----)/);
    t.notOk(
      new X509Certificate(stillOld).checkIssued(caOf(newCa ?? '')),
      'serving cert not moved yet: the bundle must reach the apiserver first',
    );
    src.check();
    t.ok(
      new X509Certificate(src.current().certPem).checkIssued(caOf(newCa ?? '')),
      'next step: serving cert issued by the new CA',
    );
    t.equal(bundleCerts(), 2, 'old CA still trusted during the move');
    src.check();
    t.equal(bundleCerts(), 1, 'old CA dropped once nothing needs it');
  },
);

t.test('rotationStep leaves a fresh state alone', async (t) => {
  const ca = createCertificate({ commonName: 'ca', usage: 'ca' });
  const serving = createCertificate({ commonName: 's', usage: 'server', issuer: ca });
  const state = { ca, serving };
  const make = {
    ca: () => t.fail('no new CA') as never,
    serving: () => t.fail('no new cert') as never,
  };
  t.equal(rotationStep(state, Date.now(), 1 / 3, make), state);
});
