/** Raised when the model itself is inconsistent (a bug in lazytlb, not in the simulated kernel). */
export class ModelError extends Error {
  override name = 'ModelError';
}
