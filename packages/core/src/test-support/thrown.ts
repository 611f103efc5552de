/** Test helper: the error `f` throws (fails the test if it throws nothing). */
export function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an exception, none was thrown');
}
