/**
 * The fleet's engine: `nats-server` (Debian's 2.9.10 or newer) run with configurations this module
 * writes. A hub (the bank's data centre) and one leaf node per appliance, each with its own
 * JetStream domain, so an appliance keeps accepting events while its WAN link is down and the hub
 * catches up from the branch stream when it comes back.
 *
 * Configurations are written as JSON, which nats-server's parser reads, so every value is quoted
 * by JSON.stringify and no operator or password can break out of its field.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OWN_ERROR } from '../own-error.js';

/** Where Debian installs the server; `VERIKIOSK_NATS_SERVER` names another binary. */
export const DEFAULT_NATS_SERVER = '/usr/sbin/nats-server';

export function natsServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.VERIKIOSK_NATS_SERVER ?? DEFAULT_NATS_SERVER;
}

export type FleetErrorReason =
  | 'engine_missing'
  | 'engine_exited'
  | 'engine_not_ready'
  | 'not_joined'
  | 'already_joined'
  | 'invalid_credentials'
  | 'invalid_branch'
  | 'invalid_entry'
  | 'hub_not_initialised'
  | 'hub_exists'
  | 'refused'
  | 'rate_limited'
  | 'unknown_entry'
  | 'unauthorized';

/** A fleet operation that cannot proceed; the message names no personal data and no secret. */
export class FleetError extends Error {
  override name = 'FleetError';
  readonly [OWN_ERROR] = true;
  constructor(
    readonly reason: FleetErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** A branch id as subjects, domains and file names carry it. */
export const BRANCH_ID_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export function checkBranchId(branch: string): string {
  if (!BRANCH_ID_PATTERN.test(branch) || branch === 'hub') {
    throw new FleetError(
      'invalid_branch',
      'a branch id is 1-32 lower-case letters, digits and hyphens, starting with a letter (not "hub")',
    );
  }
  return branch;
}

/** The JetStream domain of a branch's leaf node (dots and wildcards are not allowed in it). */
export const branchDomain = (branch: string): string => `br-${branch}`;
export const HUB_DOMAIN = 'hub';

/** Names shared by both sides. */
export const FLEET_ACCOUNT = 'FLEET';
/** The branch's own stream of decision events and fraud signals (on its leaf node). */
export const BRANCH_STREAM = 'FLEET_UP';
export const upSubject = (branch: string): string => `fleet.up.${branch}`;
/** The hub's stream sourcing every branch stream. */
export const HUB_STREAM = 'FLEET';
/** The hub's signed list stream (fraud entries, cross-branch sightings), mirrored to branches. */
export const DOWN_STREAM = 'FLEET_DOWN';
export const DOWN_SUBJECTS = 'fleet.down.>';
/** Where a branch asks the hub whether a document was seen under another identity. */
export const reuseSubject = (branch: string): string => `fleet.svc.reuse.${branch}`;
/** The branch's local mirror of DOWN_STREAM. */
export const BRANCH_DOWN_MIRROR = 'FLEET_DOWN_MIRROR';

export interface UserEntry {
  readonly user: string;
  /**
   * Absent for a user named by its leaf certificate (`leafnodes.tls.verify_and_map`): then the
   * user must be `leafOnly`, since nats-server 2.9.10 lets a plain client log in as a
   * password-less user with any password (measured).
   */
  readonly password?: string;
  /** May connect only as a leaf node (`allowed_connection_types: ["LEAFNODE"]`). */
  readonly leafOnly?: boolean;
  /** Subjects this user may publish; absent: any. */
  readonly publish?: readonly string[];
  /** Subjects this user may subscribe to; absent: any. */
  readonly subscribe?: readonly string[];
}

export interface HubConfigOptions {
  readonly host: string;
  readonly port: number;
  readonly leafPort: number;
  readonly monitorPort: number | null;
  readonly storeDir: string;
  /** Users of the fleet account: the hub's own services and one per appliance. */
  readonly users: readonly UserEntry[];
  readonly serverName?: string;
  /** Mutual TLS on the leaf port: the hub's certificate and the fleet CA every leaf must chain to. */
  readonly leafTls?: TlsFiles;
}

/** Certificate, key and CA files (PEM) of one side of the leaf link. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface LeafConfigOptions {
  readonly branch: string;
  readonly host: string;
  readonly port: number;
  readonly monitorPort: number | null;
  readonly storeDir: string;
  /** The hub's leaf-node URL (nats-leaf://host:port). */
  readonly hubLeafUrl: string;
  readonly credentials: { readonly user: string; readonly password: string };
  /** The local user the appliance's own process connects with. */
  readonly localUser: { readonly user: string; readonly password: string };
  /** Bytes the branch's JetStream may hold on disk (bounded: a week offline never fills it). */
  readonly maxFileStore?: number;
  /** The appliance's client certificate and the fleet CA (mutual TLS to the hub). */
  readonly tls?: TlsFiles;
}

function permissions(entry: UserEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (entry.publish) out.publish = { allow: [...entry.publish] };
  if (entry.subscribe) out.subscribe = { allow: [...entry.subscribe] };
  return out;
}

/** The hub's configuration: the fleet account with its users, JetStream domain `hub`, leaf port. */
export function hubConfig(options: HubConfigOptions): string {
  const config: Record<string, unknown> = {
    server_name: options.serverName ?? 'fleet-hub',
    host: options.host,
    port: options.port,
    jetstream: { store_dir: options.storeDir, domain: HUB_DOMAIN },
    accounts: {
      [FLEET_ACCOUNT]: {
        jetstream: 'enabled',
        users: options.users.map((u) => {
          if (u.password === undefined && !u.leafOnly)
            throw new FleetError('refused', 'a user without a password may only be a leaf');
          return {
            user: u.user,
            ...(u.password !== undefined ? { password: u.password } : {}),
            ...(u.leafOnly ? { allowed_connection_types: ['LEAFNODE'] } : {}),
            ...(u.publish || u.subscribe ? { permissions: permissions(u) } : {}),
          };
        }),
      },
    },
    leafnodes: {
      host: options.host,
      port: options.leafPort,
      ...(options.leafTls
        ? {
            tls: {
              cert_file: options.leafTls.cert,
              key_file: options.leafTls.key,
              ca_file: options.leafTls.ca,
              // A leaf without a certificate of the fleet CA is refused; the certificate's
              // subject names the leaf's user (its branch), no password.
              verify_and_map: true,
              timeout: 5,
            },
          }
        : {}),
    },
  };
  if (options.monitorPort !== null) config.http = `${options.host}:${options.monitorPort}`;
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** A branch appliance's leaf node: its own domain, bound to the hub's fleet account. */
export function leafConfig(options: LeafConfigOptions): string {
  const url = new URL(options.hubLeafUrl);
  // With a client certificate the hub maps the certificate to the branch's user; a password
  // sent as well fails that mapping (measured on 2.9.10), so it goes only to a hub without TLS.
  if (!options.tls || options.tls.cert === '') {
    url.username = encodeURIComponent(options.credentials.user);
    url.password = encodeURIComponent(options.credentials.password);
  }
  const config: Record<string, unknown> = {
    server_name: `leaf-${options.branch}`,
    host: options.host,
    port: options.port,
    jetstream: {
      store_dir: options.storeDir,
      domain: branchDomain(options.branch),
      max_file_store: options.maxFileStore ?? 2 * 2 ** 30,
    },
    accounts: {
      [FLEET_ACCOUNT]: {
        jetstream: 'enabled',
        users: [{ user: options.localUser.user, password: options.localUser.password }],
      },
    },
    leafnodes: {
      remotes: [
        {
          url: url.toString(),
          account: FLEET_ACCOUNT,
          ...(options.tls
            ? {
                tls: {
                  ...(options.tls.cert !== ''
                    ? { cert_file: options.tls.cert, key_file: options.tls.key }
                    : {}),
                  ca_file: options.tls.ca,
                  timeout: 5,
                },
              }
            : {}),
        },
      ],
    },
  };
  if (options.monitorPort !== null) config.http = `${options.host}:${options.monitorPort}`;
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** A TCP port free on `host` now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsCredentials {
  readonly user: string;
  readonly password: string;
}

/** Connects as a client; `maxReconnectAttempts: -1` keeps trying through server restarts. */
export function connectNats(
  url: string,
  credentials: NatsCredentials,
  options: { name?: string; timeoutMs?: number } = {},
): Promise<NatsConnection> {
  return connect({
    servers: url,
    user: credentials.user,
    pass: credentials.password,
    name: options.name ?? 'verikiosk',
    timeout: options.timeoutMs ?? 2000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A nats-server process started from a configuration file, ready once a client could connect
 * (never a fixed sleep). Stopped by its pid.
 */
export class NatsServerProcess {
  #child: ChildProcess | null = null;
  #exit: Promise<number | null> | null = null;
  #log = '';

  constructor(
    readonly configPath: string,
    readonly clientUrl: string,
    readonly probe: NatsCredentials,
    readonly binary: string = natsServerBinary(),
  ) {}

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The server's last output (for a failure message; it holds no personal data). */
  get log(): string {
    return this.#log.slice(-4000);
  }

  async start(timeoutMs = 10_000): Promise<void> {
    if (!fs.existsSync(this.binary)) {
      throw new FleetError('engine_missing', `nats-server is not installed at ${this.binary}`);
    }
    const child = spawn(this.binary, ['-c', this.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString('utf8')).slice(-16_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let exited = false;
    this.#exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        exited = true;
        resolve(code);
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited) throw new FleetError('engine_exited', `nats-server exited: ${this.log}`);
      try {
        const nc = await connect({
          servers: this.clientUrl,
          user: this.probe.user,
          pass: this.probe.password,
          timeout: 500,
          reconnect: false,
        });
        await nc.close();
        return;
      } catch {
        if (Date.now() > deadline) {
          await this.stop();
          throw new FleetError(
            'engine_not_ready',
            `nats-server did not accept clients: ${this.log}`,
          );
        }
        await sleep(50);
      }
    }
  }

  /** SIGTERM (or `signal`), then waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || !this.#exit) return;
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
    await this.#exit;
    this.#child = null;
    this.#exit = null;
  }

  /** Re-reads the configuration (SIGHUP): users added or revoked take effect. */
  reload(): void {
    const pid = this.#child?.pid;
    if (pid !== undefined) process.kill(pid, 'SIGHUP');
  }

  /** Kills it at once (a crash: no clean shutdown). */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }
}

/** Writes a configuration file 0600 (it holds passwords), creating its directory. */
export function writeConfigFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, file);
}
