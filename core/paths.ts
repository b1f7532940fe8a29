/** A repository path as driftgate keys files: no leading "./" or "/", no trailing "/" ('' = root). */
export const repoPath = (path: string): string => path.replace(/^\.?\/*|\/+$/g, '');
