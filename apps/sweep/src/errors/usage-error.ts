/**
 * The usage error of the command line, below every command's folder (cli/, new-arch/,
 * new-scheme/, ...) so that they can all throw it; cli/exit-codes.ts re-exports it with the exit
 * codes (a UsageError exits 2).
 */
import { LazytlbError } from '@lazytlb/explore';

/** Bad usage or configuration: a LazytlbError of code `usage` (printed without a stack trace, exit 2). */
export class UsageError extends LazytlbError {
  override name = 'UsageError';
  constructor(message: string) {
    super('usage', message);
  }
}
