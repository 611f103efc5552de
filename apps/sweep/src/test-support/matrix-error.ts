import { expect } from 'vitest';
import { MatrixError } from '../matrix/errors.js';

/** Test helper: the MatrixError a promise rejects with (fails otherwise). */
export async function matrixErrorOf(p: Promise<unknown>): Promise<MatrixError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error('expected an error');
}
