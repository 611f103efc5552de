/** This package's version (package.json), recorded in results when the caller names no tool version. Same relative path from src/ and dist/. */
import { readFileSync } from 'node:fs';

export const EXPLORE_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
