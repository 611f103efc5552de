// What the repository's measurement scripts share (proof-table, scheme-costs, spin-compare): the
// repository root, importing a package's built dist by path, and `--name value` arguments.
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Import a module by its path from the repository root (a package's dist: run the build first). */
export const imp = async (p) => import(pathToFileURL(resolve(root, p)).href);

/** The value after `--name`, or `def`. */
export function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : process.argv[i + 1];
}
