/**
 * Mutual TLS on the leaf link, on real nats-server processes: the hub's leaf port asks every leaf
 * for a certificate of the fleet CA (`fleet hub init` makes the CA, `add-branch` issues each
 * appliance a clientAuth certificate in its credentials, `fleet join` writes it beside the leaf
 * configuration). A leaf with the right password but no certificate, or a certificate of another
 * CA, is refused; the appliance's own link works. The certificate names the branch at the hub
 * (`verify_and_map`): a password cannot make a leaf another branch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NatsServerProcess,
  freePort,
  leafConfig,
  writeConfigFile,
} from '../../../server/fleet/engine.js';
import { connect } from '@nats-io/transport-node';
import { addBranch, hubPaths, readHub } from '../../../server/fleet/hub.js';
import { leafPaths } from '../../../server/fleet/membership.js';
import { issueFleetCertificate, makeFleetCa } from '../../../server/tls.js';
import {
  eventually,
  natsAvailable,
  startFleet,
  stopFleet,
  waitForLeaves,
  type Fleet,
} from './harness.js';

describe.skipIf(!natsAvailable)('fleet: mutual TLS on the leaf link', () => {
  let fleet: Fleet;
  const extra: NatsServerProcess[] = [];

  beforeAll(async () => {
    fleet = await startFleet(['b1']);
  }, 60_000);
  afterAll(async () => {
    for (const s of extra) await s.stop();
    await stopFleet(fleet);
  }, 30_000);

  it("the hub's leaf port requires a fleet certificate; the appliance's link has one", async () => {
    const hubConf = JSON.parse(fs.readFileSync(hubPaths(fleet.hubDir).config, 'utf8')) as {
      leafnodes: { tls?: { verify_and_map?: boolean } };
    };
    expect(hubConf.leafnodes.tls?.verify_and_map).toBe(true);
    const b1Leaf = JSON.parse(
      fs.readFileSync(path.join(fleet.root, 'b1', 'fleet', 'leaf.conf'), 'utf8'),
    ) as { leafnodes: { remotes: { tls?: { cert_file: string } }[] } };
    const certFile = b1Leaf.leafnodes.remotes[0]!.tls!.cert_file;
    expect(fs.readFileSync(certFile, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    expect(fs.statSync(path.join(path.dirname(certFile), 'key.pem')).mode & 0o777).toBe(0o600);
    // b1 is linked (startFleet waited for it) over that configuration.
    await waitForLeaves(fleet, 1);
  });

  it('a leaf without a certificate, or with one of another CA, is refused despite a valid password', async () => {
    const credentials = addBranch(fleet.hubDir, 'b2');
    fleet.hubServer.reload();
    const state = readHub(fleet.hubDir);
    const dir = path.join(fleet.root, 'intruder');
    const foreignCa = makeFleetCa();
    const foreign = issueFleetCertificate(foreignCa, { commonName: 'b2', usage: 'client' });
    writeConfigFile(path.join(dir, 'ca.pem'), credentials.tls!.ca);
    writeConfigFile(path.join(dir, 'cert.pem'), foreign.certPem);
    writeConfigFile(path.join(dir, 'key.pem'), foreign.keyPem);
    // The hub's log: each refusal is a TLS handshake the hub ended on the client certificate.
    const refusals = () =>
      fleet.hubServer.log.split('\n').filter((l) => /TLS leafnode handshake error/.test(l));
    for (const variant of ['no certificate', 'another CA'] as const) {
      const before = refusals().length;
      const port = await freePort();
      const config = path.join(dir, `${variant.replace(' ', '-')}.conf`);
      writeConfigFile(
        config,
        leafConfig({
          branch: 'b2',
          host: '127.0.0.1',
          port,
          monitorPort: null,
          storeDir: path.join(dir, `${variant.replace(' ', '-')}-js`),
          hubLeafUrl: state.publicLeafUrl,
          credentials: { user: credentials.user, password: credentials.password },
          localUser: { user: 'local', password: 'local-password' },
          // The leaf trusts the hub (the fleet CA); only its own certificate is wrong or missing.
          tls: {
            cert: variant === 'another CA' ? path.join(dir, 'cert.pem') : '',
            key: variant === 'another CA' ? path.join(dir, 'key.pem') : '',
            ca: path.join(dir, 'ca.pem'),
          },
        }),
      );
      const leaf = new NatsServerProcess(config, `nats://127.0.0.1:${port}`, {
        user: 'local',
        password: 'local-password',
      });
      extra.push(leaf);
      await leaf.start();
      await eventually(
        `the hub refusing the leaf with ${variant}`,
        () => refusals().length > before,
      );
      expect(refusals().at(-1)).toMatch(
        /client didn't provide a certificate|failed to verify client certificate/,
      );
      await leaf.stop();
    }
    // Only b1's link: neither intruder got in.
    await waitForLeaves(fleet, 1);
  }, 60_000);

  it("the certificate names the branch: with another branch's password it is refused; alone it links as its own branch only", async () => {
    const b3 = addBranch(fleet.hubDir, 'b3');
    fleet.hubServer.reload();
    const state = readHub(fleet.hubDir);
    const b1Tls = leafPaths(path.join(fleet.root, 'b1')).tls;
    const dir = path.join(fleet.root, 'b1-copy');
    const authErrors = () =>
      fleet.hubServer.log.split('\n').filter((l) => /authentication error/i.test(l));

    // b1's certificate, b3's password (the credentials of a branch it is not): refused.
    const before = authErrors().length;
    const port = await freePort();
    const text = leafConfig({
      branch: 'b3',
      host: '127.0.0.1',
      port,
      monitorPort: null,
      storeDir: path.join(dir, 'js-a'),
      hubLeafUrl: state.publicLeafUrl,
      credentials: { user: b3.user, password: b3.password },
      localUser: { user: 'local', password: 'local-password' },
      tls: b1Tls,
    });
    const config = JSON.parse(text) as { leafnodes: { remotes: { url: string }[] } };
    const url = new URL(config.leafnodes.remotes[0]!.url);
    url.username = b3.user;
    url.password = b3.password;
    config.leafnodes.remotes[0]!.url = url.toString();
    writeConfigFile(path.join(dir, 'a.conf'), JSON.stringify(config));
    const local = { user: 'local', password: 'local-password' };
    const a = new NatsServerProcess(path.join(dir, 'a.conf'), `nats://127.0.0.1:${port}`, local);
    extra.push(a);
    await a.start();
    await eventually(
      "the hub refusing b1's certificate with b3's password",
      () => authErrors().length > before,
    );
    await a.stop();
    await waitForLeaves(fleet, 1);

    // b1's certificate alone, from another machine claiming to be b3: it links as b1, so the hub
    // takes its b1 questions and drops its b3 ones.
    const port2 = await freePort();
    writeConfigFile(
      path.join(dir, 'b.conf'),
      leafConfig({
        branch: 'b3',
        host: '127.0.0.1',
        port: port2,
        monitorPort: null,
        storeDir: path.join(dir, 'js-b'),
        hubLeafUrl: state.publicLeafUrl,
        credentials: { user: b3.user, password: b3.password },
        localUser: local,
        tls: b1Tls,
      }),
    );
    const b = new NatsServerProcess(path.join(dir, 'b.conf'), `nats://127.0.0.1:${port2}`, local);
    extra.push(b);
    await b.start();
    await waitForLeaves(fleet, 2);
    const hubClient = await connect({
      servers: `nats://127.0.0.1:${state.port}`,
      user: state.admin.user,
      pass: state.admin.password,
    });
    const seen: string[] = [];
    hubClient.subscribe('fleet.svc.reuse.>', { callback: (_e, m) => void seen.push(m.subject) });
    await hubClient.flush();
    const client = await connect({
      servers: b.clientUrl,
      user: local.user,
      pass: local.password,
    });
    // The hub's interest reaches the leaf asynchronously: send until b1's question arrives; b3's,
    // sent before each of them on the same connection, would have arrived first.
    await eventually('a b1 question at the hub', async () => {
      client.publish('fleet.svc.reuse.b3', '{}');
      client.publish('fleet.svc.reuse.b1', '{}');
      await client.flush();
      return seen.includes('fleet.svc.reuse.b1');
    });
    expect(seen).not.toContain('fleet.svc.reuse.b3');
    await client.close();
    await hubClient.close();
    await b.stop();
  }, 60_000);
});
