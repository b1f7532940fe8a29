/** A JSON object (not null, not an array): the check every parser of untrusted JSON starts with. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
