/** The tool's version (apps/sweep/package.json), recorded in results. Same relative path from src/ and dist/. */
import { readFileSync } from 'node:fs';

export const TOOL_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
