/**
 * Test support for the suites' own tests (not shipped: dist/**\/test-support.* is not in the
 * package): a runner that collects the tests a suite registers instead of running them.
 */
import { expect } from 'vitest';
import type { TestRunner } from './runner.js';

export interface Collected {
  readonly name: string;
  readonly fn: () => void | Promise<void>;
}

/**
 * The tests `register` registers through the runner it is given, as (name without the top
 * describe, its describes and the test's name joined by " > ", fn).
 */
export function collectTests(register: (runner: TestRunner) => void): Collected[] {
  const tests: Collected[] = [];
  const path: string[] = [];
  const runner: TestRunner = {
    describe(name, fn) {
      path.push(name);
      fn();
      path.pop();
    },
    it(name, fn) {
      tests.push({ name: [...path.slice(1), name].join(' > '), fn });
    },
    expect,
  };
  register(runner);
  return tests;
}
