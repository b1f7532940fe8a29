import { watch, type FSWatcher } from 'node:fs';

export interface DirectoryWatch {
  close(): void;
}

/**
 * Call `onChange` once a burst of changes under `dir` has settled for `debounceMs`. Uses
 * recursive fs.watch (Linux, Node ≥ 20). The caller's onChange must not throw.
 */
export function watchDirectory(
  dir: string,
  onChange: () => void,
  debounceMs = 300,
): DirectoryWatch {
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dir, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
