/**
 * The test runner the conformance suite is given, as abstract-level's shared suite takes
 * its `test` function: the plugin's own test file passes vitest's (or jest's) `describe`,
 * `it` and `expect`, so the suite runs inside the plugin's test run and reports there.
 * Only this small structural subset is used, so any runner with the same shape fits.
 */

/** The matchers the suite uses. vitest's and jest's `expect(...)` results satisfy it. */
export interface ConformanceMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
}

/** `expect(actual, message?)`; the message is shown by vitest, ignored by jest. */
export type ConformanceExpect = (actual: unknown, message?: string) => ConformanceMatchers;

export interface TestRunner {
  describe(name: string, fn: () => void): void;
  /** `timeout` (ms) is passed as the third argument, as vitest and jest take it. */
  it(name: string, fn: () => void | Promise<void>, timeout?: number): void;
  expect: ConformanceExpect;
}
