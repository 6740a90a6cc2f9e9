/** What a folder holds (every file with its size and modification time), to prove that something wrote nothing. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** `relative path → "size@mtimeMs"` of every file under `root` (none when it does not exist), minus `ignore`d ones. */
export function folderSnapshot(
  root: string,
  ignore: (relative: string) => boolean = () => false,
): Map<string, string> {
  const snapshot = new Map<string, string>();
  if (!existsSync(root)) return snapshot;
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const relative = path.relative(root, path.join(entry.parentPath, entry.name));
    if (ignore(relative)) continue;
    try {
      const stat = statSync(path.join(root, relative));
      snapshot.set(relative, `${stat.size}@${stat.mtimeMs}`);
    } catch {
      // Removed between the listing and the stat: not there.
    }
  }
  return snapshot;
}

/** The files added, changed or removed between two snapshots, as `+ path`, `~ path`, `- path`. */
export function folderChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [file, state] of after) {
    if (!before.has(file)) changes.push(`+ ${file}`);
    else if (before.get(file) !== state) changes.push(`~ ${file}`);
  }
  for (const file of before.keys()) if (!after.has(file)) changes.push(`- ${file}`);
  return changes.sort();
}
