/** The label on every object a source applies, naming the source: ownership for apply and prune. */
export const SOURCE_LABEL = 'driftgate.io/source';
