// Certificates made by the product's one X.509 stack (pkijs encoding, Node's crypto signing), read
// back by OpenSSL through node:crypto as the apiserver's Go and Node's TLS read them.
import t from 'tap';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createCertificate, serialNumber } from '../../webhook/tls/pki.js';

t.test('a serial is always a minimal positive DER integer', async (t) => {
  let bad = 0;
  for (let i = 0; i < 20_000; i++) {
    const s = serialNumber();
    const first = s[0] ?? 0;
    if (s.length !== 16 || first === 0 || first > 0x7f) bad++;
  }
  t.equal(bad, 0, 'no zero pad (OpenSSL: illegal padding), never negative');
});

t.test('CA, server, client and signing certificates read back as written', async (t) => {
  const ca = createCertificate({ commonName: 'test ca', usage: 'ca', validityDays: 10 });
  const caX = new X509Certificate(ca.certPem);
  t.equal(caX.ca, true);
  t.equal(caX.subject, 'CN=test ca');
  t.ok(caX.verify(caX.publicKey), 'self-signed');

  const server = createCertificate({
    commonName: 'webhook',
    usage: 'server',
    issuer: ca,
    dnsNames: ['driftgate.driftgate-system.svc', 'localhost'],
    ipAddresses: ['127.0.0.1', '::1', 'fd00::1:2'],
  });
  const sx = new X509Certificate(server.certPem);
  t.equal(sx.ca, false);
  t.ok(sx.checkIssued(caX), 'issued by the CA (subject, key identifiers)');
  t.ok(sx.verify(caX.publicKey), 'signed by the CA');
  t.same(sx.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth');
  t.equal(
    sx.subjectAltName,
    'DNS:driftgate.driftgate-system.svc, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:1:2',
  );
  t.ok(sx.checkHost('localhost'));
  t.ok(sx.checkIP('::1'));
  t.equal(
    new Date(sx.validTo).getTime() - new Date(sx.validFrom).getTime(),
    365 * 86_400_000,
    'a year by default',
  );
  t.equal(createPrivateKey(server.keyPem).asymmetricKeyType, 'rsa');
  t.ok(sx.checkPrivateKey(createPrivateKey(server.keyPem)), 'the key is the certificate’s');

  const client = new X509Certificate(
    createCertificate({
      commonName: 'alice',
      organizations: ['dev', 'ops'],
      usage: 'client',
      issuer: ca,
    }).certPem,
  );
  t.equal(client.subject, 'CN=alice\nO=dev\nO=ops', 'O= values: the groups Kubernetes reads');
  t.same(client.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth');

  const signing = new X509Certificate(
    createCertificate({
      commonName: 'dev',
      usage: 'signing',
      issuer: ca,
      emails: ['dev@example.com'],
    }).certPem,
  );
  t.same(signing.keyUsage, ['1.3.6.1.5.5.7.3.4'], 'emailProtection');
  t.equal(signing.subjectAltName, 'email:dev@example.com');
  t.ok(signing.checkEmail('dev@example.com'));
});
