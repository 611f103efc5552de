/**
 * Debian's Chromium for the browser tests (never a downloaded browser): /usr/bin/chromium,
 * installed with apt-get when it is missing (CI runs as root on a fresh machine). Fails with a
 * clear message when it cannot be installed — a browser test is never silently skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for this machine's closed network and a root user. The fresh, empty user data dir comes
 * from playwright's launch() itself (a new temporary profile per browser; it refuses a
 * --user-data-dir argument).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Make sure /usr/bin/chromium exists, installing Debian's package if needed; throws if impossible. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = asRoot ? [] : ['sudo', '-n'];
  const run = (args: string[]): void => {
    const [cmd, ...rest] = [...sudo, ...args];
    execFileSync(cmd!, rest, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 15 * 60_000 });
  };
  try {
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', 'chromium']);
  } catch (e) {
    throw new Error(
      `the browser test needs Debian's Chromium at ${CHROMIUM} and could not install it (apt-get install -y chromium${asRoot ? '' : ', with sudo -n: not root'}): ${(e as Error).message}. ` +
        'Install it by hand (apt-get install -y chromium); never download a browser with playwright.',
    );
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium succeeded but ${CHROMIUM} is missing`);
  return CHROMIUM;
}
