import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';

/** What the HTTPS server serves, plus the CA bundle clients (the apiserver) should trust. */
export interface ServingMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  /** PEM CA certificates for the webhook configuration's caBundle; may be empty for file mode. */
  readonly caBundlePem: string;
  readonly notAfter: Date;
}

/** Source of serving material that may change while the server runs. */
export interface CertificateSource {
  current(): ServingMaterial;
  /** Call `onChange` whenever new material is in force. */
  onChange(listener: (m: ServingMaterial) => void): void;
  close(): void;
}

/**
 * Check that cert and key belong together and parse the expiry. Throws a message naming the
 * problem (never the key) when they do not.
 */
export function validateMaterial(
  certPem: string,
  keyPem: string,
  caBundlePem = '',
): ServingMaterial {
  let notAfter: Date;
  try {
    notAfter = new Date(new X509Certificate(certPem).validTo);
  } catch {
    throw new Error('serving certificate is not a PEM X.509 certificate');
  }
  try {
    createSecureContext({ cert: certPem, key: keyPem });
  } catch (err) {
    throw new Error(
      `serving certificate and key do not match or cannot be read: ${(err as Error).message}`,
    );
  }
  return { certPem, keyPem, caBundlePem, notAfter };
}
