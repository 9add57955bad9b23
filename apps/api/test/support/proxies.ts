// Real nginx and Caddy processes running the forward-auth configurations kept in deploy/, with only
// their addresses and ports replaced, each in a temporary folder of its own (nginx's prefix, pid
// file, temp files and error log; Caddy's data, config and admin port), as the current user.
// Used by proxies.test.ts and by `pnpm bench`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@latchkey/lib/testing';

export type ProxyKind = 'nginx' | 'caddy';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The configurations the docs quote, by proxy. */
export const PROXY_CONFIG_FILES: Record<ProxyKind, string> = {
  nginx: path.join(REPO_ROOT, 'deploy/nginx/latchkey-forward-auth.conf'),
  caddy: path.join(REPO_ROOT, 'deploy/caddy/Caddyfile'),
};

/** Where the configurations expect Latchkey and the service, and the port they listen on. */
const LATCHKEY_ADDRESS = '127.0.0.1:3000';
const SERVICE_ADDRESS = '127.0.0.1:8000';

/** The proxy's program: on PATH or where Debian puts it (sbin is often not on a user's PATH). */
export function proxyBinary(kind: ProxyKind): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, kind);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** `text` with each `[from, to]` replaced; each `from` must be there exactly once, so a changed file is noticed. */
function substitute(text: string, file: string, replacements: Array<[string, string]>): string {
  let out = text;
  for (const [from, to] of replacements) {
    const count = out.split(from).length - 1;
    if (count !== 1) throw new Error(`${file}: expected "${from}" once, found it ${count} times`);
    out = out.replace(from, to);
  }
  return out;
}

export type ProxyAddresses = {
  /** host:port of the Latchkey server. */
  latchkey: string;
  /** host:port of the service behind the proxy. */
  service: string;
  /** The port the proxy listens on (127.0.0.1). */
  port: number;
  /** Caddy's admin endpoint port. */
  adminPort?: number;
  /**
   * The scope asked for in place of the files' `invoices:read`: the bench uses a built-in one, so
   * that its server needs no TOKEN_SCOPES.
   */
  scope?: string;
};

const FILE_SCOPE = '?scope=invoices:read';

/** The repository's configuration of `kind` with these addresses, and nothing else changed. */
export function renderProxyConfig(kind: ProxyKind, addresses: ProxyAddresses): string {
  const file = PROXY_CONFIG_FILES[kind];
  const read = fs.readFileSync(file, 'utf8');
  const text = addresses.scope ? substitute(read, file, [[FILE_SCOPE, `?scope=${addresses.scope}`]]) : read;
  if (kind === 'nginx') {
    return substitute(text, file, [
      [`server ${LATCHKEY_ADDRESS};`, `server ${addresses.latchkey};`],
      [`server ${SERVICE_ADDRESS};`, `server ${addresses.service};`],
      ['listen 8080;', `listen 127.0.0.1:${addresses.port};`],
    ]);
  }
  return substitute(text, file, [
    ['admin 127.0.0.1:2019', `admin 127.0.0.1:${addresses.adminPort ?? 2019}`],
    ['http://:8080 {', `http://:${addresses.port} {`],
    [`forward_auth ${LATCHKEY_ADDRESS} {`, `forward_auth ${addresses.latchkey} {`],
    [`reverse_proxy ${SERVICE_ADDRESS}\n`, `reverse_proxy ${addresses.service}\n`],
  ]);
}

export type RunningProxy = {
  kind: ProxyKind;
  url: string;
  port: number;
  pid: number;
  /** What the proxy wrote to its error log or output so far. */
  log(): string;
  stop(): Promise<void>;
};

/**
 * Starts `kind` on a free port in front of `latchkey` and `service` and waits until it accepts
 * connections. `nginxHttp` adds lines to nginx's `http` block (the bench's trivial upstream).
 */
export async function startProxy(
  kind: ProxyKind,
  options: { latchkey: string; service: string; scope?: string; nginxHttp?: string; nginxWorkers?: number },
): Promise<RunningProxy> {
  const binary = proxyBinary(kind);
  if (!binary) throw new Error(`${kind} is not installed`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `latchkey-${kind}-`));
  const port = await freePort();
  const logFile = path.join(dir, kind === 'nginx' ? 'error.log' : 'caddy.log');
  let child: ChildProcess;
  if (kind === 'nginx') {
    const site = path.join(dir, 'latchkey-forward-auth.conf');
    fs.writeFileSync(site, renderProxyConfig('nginx', { ...options, port }));
    const temp = (name: string) => path.join(dir, name);
    const main = [
      // Run by root (as in CI), nginx would hand its workers to `nobody`, who cannot read this folder.
      process.getuid?.() === 0 ? 'user root;' : '',
      `worker_processes ${options.nginxWorkers ?? 1};`,
      `pid ${temp('nginx.pid')};`,
      `error_log ${logFile} info;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${temp('client_body')};`,
      `  proxy_temp_path ${temp('proxy')};`,
      `  fastcgi_temp_path ${temp('fastcgi')};`,
      `  uwsgi_temp_path ${temp('uwsgi')};`,
      `  scgi_temp_path ${temp('scgi')};`,
      options.nginxHttp ?? '',
      `  include ${site};`,
      '}',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'nginx.conf'), main);
    child = spawn(binary, ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', logFile, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', fs.openSync(logFile, 'a')],
    });
  } else {
    const adminPort = await freePort();
    const config = path.join(dir, 'Caddyfile');
    fs.writeFileSync(config, renderProxyConfig('caddy', { ...options, port, adminPort }));
    const out = fs.openSync(logFile, 'a');
    child = spawn(binary, ['run', '--config', config, '--adapter', 'caddyfile'], {
      // Caddy keeps its state under these; none of it goes to the user's home.
      env: {
        ...process.env,
        HOME: dir,
        XDG_DATA_HOME: path.join(dir, 'data'),
        XDG_CONFIG_HOME: path.join(dir, 'config'),
      },
      stdio: ['ignore', out, out],
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, kind, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { kind, url: `http://127.0.0.1:${port}`, port, pid: child.pid!, log, stop };
}

async function waitForPort(port: number, child: ChildProcess, kind: ProxyKind, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited at start (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${kind} did not listen on ${port} within 15 s: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
