// The Kubernetes CEL libraries Gatekeeper's K8sNativeValidation engine provides, beside CEL's
// standard functions and string extensions.
import { formatFuncs } from './format.js';
import { ipFuncs } from './ip.js';
import { listFuncs } from './lists.js';
import { quantityFuncs } from './quantity.js';
import { urlFuncs } from './url.js';

export const kubernetesCelFuncs = [
  ...quantityFuncs,
  ...urlFuncs,
  ...ipFuncs,
  ...listFuncs,
  ...formatFuncs,
];
