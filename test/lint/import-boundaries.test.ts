import path from 'node:path';

import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';

import rule from '../../.eslint/rules/import-boundaries.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const root = path.resolve('/repo');
const options = [{ root }];

const ruleTester = new RuleTester({
  languageOptions: {
    parser: tseslint.parser,
    ecmaVersion: 'latest',
    sourceType: 'module',
  },
});

interface Case {
  code: string;
  /** Path of the linted file relative to the project root, e.g. 'server/app.ts'. */
  file: string;
}

const valid = ({ code, file }: Case): RuleTester.ValidTestCase => ({
  code,
  filename: path.join(root, file),
  options,
});

const invalid = (
  { code, file }: Case,
  messageId: string,
  data?: Record<string, string>,
): RuleTester.InvalidTestCase => ({
  code,
  filename: path.join(root, file),
  options,
  errors: [data ? { messageId, data } : { messageId }],
});

describe('verikiosk/import-boundaries', () => {
  describe('renderer/ (rule 1)', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [
        valid({
          file: 'renderer/kiosk/staff-exit.tsx',
          code: "import type { KioskBridge } from '../../main/contract.js';",
        }),
        valid({ file: 'renderer/kiosk/main.ts', code: "import { hc } from 'hono/client';" }),
        valid({
          file: 'renderer/kiosk/main.ts',
          code: "import { view } from '../shared/view.js';",
        }),
        valid({
          file: 'renderer/main.ts',
          code: "import type { AppType } from '../server/app.js';",
        }),
        valid({
          file: 'renderer/kiosk/api.ts',
          code: "import type { AppType } from '../../server/api/index.js';",
        }),
        valid({
          file: 'renderer/api.ts',
          code: "import { type AppType, type Problem } from '../server/app.js';",
        }),
        valid({
          file: 'renderer/api.ts',
          code: "export type { AppType } from '../server/app.js';",
        }),
        valid({ file: 'renderer/api.ts', code: "export type * from '../server/app.js';" }),
        valid({
          file: 'renderer/api.ts',
          code: "export { type AppType } from '../server/app.js';",
        }),
        valid({
          file: 'renderer/api.ts',
          code: "type App = import('../server/app.js').AppType; export type { App };",
        }),
        // An absolute specifier outside the project (a path under Vite's root) is not checked.
        valid({ file: 'renderer/ui/logo.ts', code: "import url from '/assets/logo.svg';" }),
        // Vite-style suffixes are stripped before resolving.
        valid({ file: 'renderer/ui/logo.ts', code: "import url from './logo.svg?url';" }),
      ],
      invalid: [
        invalid(
          { file: 'renderer/main.ts', code: "import { readFile } from 'node:fs/promises';" },
          'rendererNodeBuiltin',
          { specifier: 'node:fs/promises' },
        ),
        invalid({ file: 'renderer/main.ts', code: "import fs from 'fs';" }, 'rendererNodeBuiltin', {
          specifier: 'fs',
        }),
        invalid(
          { file: 'renderer/main.ts', code: "import path from 'path';" },
          'rendererNodeBuiltin',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "import { spawn } from 'child_process';" },
          'rendererNodeBuiltin',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "import { readFile } from 'fs/promises';" },
          'rendererNodeBuiltin',
        ),
        invalid({ file: 'renderer/main.ts', code: "import 'node:test';" }, 'rendererNodeBuiltin'),
        // Type-only imports are allowed from server/ only, not from Node.
        invalid(
          { file: 'renderer/main.ts', code: "import type { Stats } from 'node:fs';" },
          'rendererNodeBuiltin',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "const os = require('os');" },
          'rendererNodeBuiltin',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "const { join } = await import('node:path');" },
          'rendererNodeBuiltin',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "import { createApp } from '../server/app.js';" },
          'rendererServerValue',
          { target: 'server/app.js' },
        ),
        invalid(
          {
            file: 'renderer/main.ts',
            code: "import { type AppType, hc } from '../server/app.js';",
          },
          'rendererServerValue',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "import '../server/app.js';" },
          'rendererServerValue',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "export { createApp } from '../server/app.js';" },
          'rendererServerValue',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "export * from '../server/app.js';" },
          'rendererServerValue',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "const app = await import('../server/app.js');" },
          'rendererServerValue',
        ),
        invalid(
          { file: 'renderer/main.ts', code: "import { Pad } from '../device/index.js';" },
          'rendererForbidden',
          { area: 'device', target: 'device/index.js' },
        ),
        invalid(
          { file: 'renderer/main.ts', code: "import type { Pad } from '../device/index.js';" },
          'rendererForbidden',
        ),
        invalid(
          {
            file: 'renderer/kiosk/bridge.ts',
            code: "import { BRIDGE_KEY } from '../../main/contract.js';",
          },
          'rendererForbidden',
          { area: 'main', target: 'main/contract.js' },
        ),
        invalid(
          {
            file: 'renderer/kiosk/bridge.ts',
            code: "import type { Bridge } from '../../main/ipc.js';",
          },
          'rendererForbidden',
          { area: 'main', target: 'main/ipc.js' },
        ),
      ],
    });
  });

  describe('device/ (rule 2)', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [
        valid({ file: 'device/hid/transport.ts', code: "import HID from 'node-hid';" }),
        valid({
          file: 'device/hid/transport.ts',
          code: "import { EventEmitter } from 'node:events';",
        }),
        valid({ file: 'device/hid/transport.ts', code: "import { queue } from '../queue.js';" }),
      ],
      invalid: [
        invalid(
          {
            file: 'device/manager/index.ts',
            code: "import { Vault } from '../../server/vault/index.js';",
          },
          'deviceForbidden',
          { area: 'server', target: 'server/vault/index.js' },
        ),
        invalid(
          {
            file: 'device/manager.ts',
            code: "import type { Config } from '../server/config/index.js';",
          },
          'deviceForbidden',
        ),
        invalid(
          { file: 'device/manager.ts', code: "import { view } from '../renderer/view.js';" },
          'deviceForbidden',
          { area: 'renderer', target: 'renderer/view.js' },
        ),
        invalid(
          { file: 'device/manager.ts', code: "const m = require('../main/window.js');" },
          'deviceForbidden',
          { area: 'main', target: 'main/window.js' },
        ),
      ],
    });
  });

  describe('server/ (rule 3)', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [
        valid({ file: 'server/app.ts', code: "import { Hono } from 'hono';" }),
        valid({ file: 'server/app.ts', code: "import Database from 'better-sqlite3';" }),
        valid({ file: 'server/app.ts', code: "import { readFile } from 'node:fs/promises';" }),
        valid({
          file: 'server/app.ts',
          code: "import { DeviceManager } from '../device/index.js';",
        }),
        valid({
          file: 'server/app.ts',
          code: "import { DeviceManager } from '../device/index.ts';",
        }),
        valid({ file: 'server/app.ts', code: "import { DeviceManager } from '../device/index';" }),
        valid({ file: 'server/app.ts', code: "import { DeviceManager } from '../device';" }),
        valid({ file: 'server/app.ts', code: "import { DeviceManager } from '../device/';" }),
        valid({
          file: 'server/documents/scan.ts',
          code: "import type { Frame } from '../../device/index.js';",
        }),
        valid({
          file: 'server/app.ts',
          code: "export { DeviceManager } from '../device/index.js';",
        }),
      ],
      invalid: [
        invalid(
          { file: 'server/app.ts', code: "import { open } from '../device/usb/hid.js';" },
          'serverDeviceIndex',
          { target: 'device/usb/hid.js' },
        ),
        invalid(
          {
            file: 'server/documents/scan.ts',
            code: "import { Mrz } from '../../device/mrz/index.js';",
          },
          'serverDeviceIndex',
          { target: 'device/mrz/index.js' },
        ),
        invalid(
          {
            file: 'server/documents/scan.ts',
            code: "import type { Frame } from '../../device/frame.js';",
          },
          'serverDeviceIndex',
        ),
        invalid(
          { file: 'server/app.ts', code: "const hid = await import('../device/usb/hid.js');" },
          'serverDeviceIndex',
        ),
        invalid(
          { file: 'server/app.ts', code: "import { theme } from '../renderer/theme.js';" },
          'serverForbidden',
          { area: 'renderer', target: 'renderer/theme.js' },
        ),
        invalid(
          { file: 'server/api/index.ts', code: "import type { Bridge } from '../../main/ipc.js';" },
          'serverForbidden',
          { area: 'main', target: 'main/ipc.js' },
        ),
        invalid(
          { file: 'server/app.ts', code: "export * from '../main/lifecycle.js';" },
          'serverForbidden',
        ),
      ],
    });
  });

  describe('main/ (rule 4)', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [
        valid({ file: 'main/main.ts', code: "import { app, BrowserWindow } from 'electron';" }),
        valid({ file: 'main/main.ts', code: "import { fork } from 'node:child_process';" }),
        valid({ file: 'main/main.ts', code: "import { lockdown } from './lockdown.js';" }),
        valid({
          file: 'main/main.ts',
          code: "import type { Config } from '../server/config/index.js';",
        }),
        valid({ file: 'main/preload.ts', code: "import type { Pad } from '../device/index.js';" }),
        valid({
          file: 'main/preload.ts',
          code: "import { type Route } from '../renderer/routes.js';",
        }),
      ],
      invalid: [
        invalid(
          { file: 'main/main.ts', code: "import { startServer } from '../server/app.js';" },
          'mainForbidden',
          { area: 'server', target: 'server/app.js' },
        ),
        invalid(
          { file: 'main/main.ts', code: "import { DeviceManager } from '../device/index.js';" },
          'mainForbidden',
          { area: 'device', target: 'device/index.js' },
        ),
        invalid(
          { file: 'main/main.ts', code: "import { routes } from '../renderer/routes.js';" },
          'mainForbidden',
          { area: 'renderer', target: 'renderer/routes.js' },
        ),
        invalid(
          { file: 'main/main.ts', code: "const core = await import('../server/app.js');" },
          'mainForbidden',
        ),
        invalid(
          { file: 'main/main.ts', code: "const core = require('../server/app.js');" },
          'mainForbidden',
        ),
      ],
    });
  });

  describe('capability folders (rule 5)', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [
        valid({ file: 'server/audit/log.ts', code: "import { Vault } from '../vault/index.js';" }),
        valid({ file: 'server/audit/log.ts', code: "import { Vault } from '../vault/index.ts';" }),
        valid({ file: 'server/audit/log.ts', code: "import { Vault } from '../vault/index';" }),
        valid({ file: 'server/audit/log.ts', code: "import { Vault } from '../vault';" }),
        valid({ file: 'server/audit/log.ts', code: "export { Vault } from '../vault/index.js';" }),
        valid({
          file: 'server/audit/deep/x.ts',
          code: "import { Vault } from '../../vault/index.js';",
        }),
        // Within one capability, any depth.
        valid({ file: 'server/vault/db.ts', code: "import { seal } from './crypto.js';" }),
        valid({
          file: 'server/vault/migrations/001.ts',
          code: "import { seal } from '../crypto.js';",
        }),
        valid({ file: 'server/vault/db.ts', code: "import { step } from './migrations/001.js';" }),
        // Root files of the area are not capabilities.
        valid({ file: 'server/vault/db.ts', code: "import { HttpError } from '../errors.js';" }),
        valid({ file: 'server/app.ts', code: "import { createVault } from './vault/index.js';" }),
        valid({ file: 'server/app.ts', code: "import { createVault } from './vault';" }),
        valid({ file: 'server/app.ts', code: "import { HttpError } from './errors.js';" }),
        valid({ file: 'device/index.ts', code: "export { HidTransport } from './hid/index.js';" }),
        valid({
          file: 'device/manager/index.ts',
          code: "import { HidTransport } from '../hid/index.js';",
        }),
      ],
      invalid: [
        invalid(
          { file: 'server/audit/log.ts', code: "import { seal } from '../vault/crypto.js';" },
          'capabilityIndex',
          {
            from: 'server/audit/',
            capability: 'server/vault',
            name: 'vault',
            target: 'server/vault/crypto.js',
          },
        ),
        invalid(
          { file: 'server/audit/log.ts', code: "import type { Key } from '../vault/crypto.js';" },
          'capabilityIndex',
        ),
        invalid(
          {
            file: 'server/audit/deep/x.ts',
            code: "import { step } from '../../vault/migrations/index.js';",
          },
          'capabilityIndex',
          {
            from: 'server/audit/',
            capability: 'server/vault',
            name: 'vault',
            target: 'server/vault/migrations/index.js',
          },
        ),
        invalid(
          { file: 'server/audit/log.ts', code: "export * from '../vault/crypto.js';" },
          'capabilityIndex',
        ),
        invalid(
          { file: 'server/audit/log.ts', code: "const c = await import('../vault/crypto.js');" },
          'capabilityIndex',
        ),
        invalid(
          { file: 'server/app.ts', code: "import { openDb } from './vault/db.js';" },
          'capabilityIndex',
          {
            from: 'server/ (root)',
            capability: 'server/vault',
            name: 'vault',
            target: 'server/vault/db.js',
          },
        ),
        invalid(
          { file: 'device/index.ts', code: "export { HidTransport } from './hid/transport.js';" },
          'capabilityIndex',
          {
            from: 'device/ (root)',
            capability: 'device/hid',
            name: 'hid',
            target: 'device/hid/transport.js',
          },
        ),
        // An absolute path inside the project is checked like a relative one.
        invalid(
          {
            file: 'server/app.ts',
            code: `import { openDb } from '${path.join(root, 'server/vault/db.js')}';`,
          },
          'capabilityIndex',
          {
            from: 'server/ (root)',
            capability: 'server/vault',
            name: 'vault',
            target: 'server/vault/db.js',
          },
        ),
        invalid(
          {
            file: 'device/manager/index.ts',
            code: "import { HidTransport } from '../hid/transport.js';",
          },
          'capabilityIndex',
        ),
      ],
    });
  });

  describe('contract/ and server-only packages (rule 7)', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [
        valid({ file: 'contract/index.ts', code: "import { z } from '@hono/zod-openapi';" }),
        valid({ file: 'contract/api-keys.ts', code: "import { Problem } from './problems.js';" }),
        valid({ file: 'contract/index.ts', code: "export * from './scopes.js';" }),
        // server/ and renderer/ import the contract as values.
        valid({
          file: 'server/api/routes/api-keys.ts',
          code: "import { ApiKeyCreate } from '../../../contract/index.js';",
        }),
        valid({
          file: 'server/app.ts',
          code: "import { API_SCOPES } from '../contract/index.js';",
        }),
        valid({
          file: 'renderer/kiosk/api.ts',
          code: "import { ProblemSchema } from '../../contract/index.js';",
        }),
        valid({
          file: 'main/ipc.ts',
          code: "import type { Problem } from '../contract/index.js';",
        }),
        // Server-only packages stay allowed where Node runs.
        valid({ file: 'server/vault/db.ts', code: "import Database from 'better-sqlite3';" }),
        valid({ file: 'device/usb/hid.ts', code: "import HID from 'node-hid';" }),
        valid({ file: 'renderer/kiosk/main.ts', code: "import { h } from 'preact';" }),
        // A package whose name merely starts like a server-only one is not one.
        valid({ file: 'renderer/kiosk/main.ts', code: "import x from 'sharpie';" }),
      ],
      invalid: [
        invalid(
          { file: 'contract/index.ts', code: "import { randomUUID } from 'node:crypto';" },
          'contractNodeBuiltin',
          { specifier: 'node:crypto' },
        ),
        invalid({ file: 'contract/index.ts', code: "import fs from 'fs';" }, 'contractNodeBuiltin'),
        invalid(
          {
            file: 'contract/index.ts',
            code: "import { HttpError } from '../server/api/index.js';",
          },
          'contractForbidden',
          { area: 'server', target: 'server/api/index.js' },
        ),
        // Not even types: the contract is the source, server/ the consumer.
        invalid(
          {
            file: 'contract/index.ts',
            code: "import type { Vault } from '../server/vault/index.js';",
          },
          'contractForbidden',
        ),
        invalid(
          { file: 'contract/index.ts', code: "export * from '../device/index.js';" },
          'contractForbidden',
          { area: 'device', target: 'device/index.js' },
        ),
        invalid(
          { file: 'contract/ui.ts', code: "import { view } from '../renderer/shared/view.js';" },
          'contractForbidden',
        ),
        invalid(
          { file: 'contract/ipc.ts', code: "import type { Bridge } from '../main/preload.js';" },
          'contractForbidden',
        ),
        invalid(
          { file: 'contract/index.ts', code: "import sodium from 'libsodium-wrappers-sumo';" },
          'serverOnlyPackage',
          { area: 'contract', specifier: 'libsodium-wrappers-sumo' },
        ),
        invalid(
          { file: 'renderer/kiosk/main.ts', code: "import 'better-sqlite3';" },
          'serverOnlyPackage',
          { area: 'renderer', specifier: 'better-sqlite3' },
        ),
        invalid(
          { file: 'renderer/kiosk/main.ts', code: "import Database from 'better-sqlite3';" },
          'serverOnlyPackage',
        ),
        invalid(
          { file: 'renderer/kiosk/main.ts', code: "import HID from 'node-hid';" },
          'serverOnlyPackage',
        ),
        invalid(
          { file: 'renderer/kiosk/main.ts', code: "import { SerialPort } from 'serialport';" },
          'serverOnlyPackage',
        ),
        invalid(
          {
            file: 'renderer/kiosk/main.ts',
            code: "import { autoDetect } from '@serialport/bindings-cpp';",
          },
          'serverOnlyPackage',
        ),
        invalid(
          { file: 'renderer/kiosk/main.ts', code: "const sharp = await import('sharp');" },
          'serverOnlyPackage',
        ),
        invalid(
          { file: 'renderer/kiosk/main.ts', code: "import * as tf from '@tensorflow/tfjs-node';" },
          'serverOnlyPackage',
          { area: 'renderer', specifier: '@tensorflow/tfjs-node' },
        ),
        invalid(
          { file: 'renderer/kiosk/main.ts', code: "import ort from 'onnxruntime-node';" },
          'serverOnlyPackage',
        ),
        invalid(
          {
            file: 'renderer/kiosk/main.ts',
            code: "const db = require('better-sqlite3/lib/database');",
          },
          'serverOnlyPackage',
        ),
      ],
    });
  });

  describe('exempt folders (rule 6)', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [
        valid({
          file: 'test/server/vault/crypto.test.ts',
          code: "import { seal } from '../../../server/vault/crypto.js';",
        }),
        valid({
          file: 'test/device/hid.test.ts',
          code: "import { open } from '../../device/usb/hid.js';",
        }),
        valid({
          file: 'test/e2e/kiosk.test.ts',
          code: "import { view } from '../../renderer/view.js';",
        }),
        valid({ file: 'bin/verikiosk.js', code: "import '../server/cli/main.js';" }),
        valid({
          file: 'vitest.config.ts',
          code: "import { seal } from './server/vault/crypto.js';",
        }),
        valid({ file: '.eslint/plugin.js', code: "import fs from 'node:fs';" }),
        valid({ file: '.ci/check.ts', code: "import { openDb } from '../server/vault/db.js';" }),
        // Files outside the project root are not checked.
        {
          code: "import fs from 'node:fs';",
          filename: path.resolve('/elsewhere/renderer/main.ts'),
          options,
        },
        // Bare specifiers are not boundaries, even when named like a folder.
        valid({ file: 'device/hid/index.ts', code: "import server from 'server';" }),
      ],
      invalid: [],
    });
  });

  describe('project root', () => {
    // Without the option the rule takes the root from ESLint's working directory.
    const cwd = process.cwd();
    ruleTester.run('import-boundaries', rule, {
      valid: [
        {
          code: "import { Vault } from '../vault/index.js';",
          filename: path.join(cwd, 'server/audit/log.ts'),
        },
      ],
      invalid: [
        {
          code: "import { seal } from '../vault/crypto.js';",
          filename: path.join(cwd, 'server/audit/log.ts'),
          errors: [{ messageId: 'capabilityIndex' }],
        },
      ],
    });
  });

  describe('messages', () => {
    ruleTester.run('import-boundaries', rule, {
      valid: [],
      invalid: [
        {
          code: "import { open } from '../device/usb/hid.js';",
          filename: path.join(root, 'server/app.ts'),
          options,
          errors: [
            {
              message:
                "server/ may reach device/ only through device/index.ts (imported 'device/usb/hid.js'); import '…/device/index.js' and export what you need from there",
            },
          ],
        },
        {
          code: "import { seal } from '../vault/crypto.js';",
          filename: path.join(root, 'server/audit/log.ts'),
          options,
          errors: [
            {
              message:
                "server/audit/ may reach server/vault/ only through server/vault/index.ts (imported 'server/vault/crypto.js'); import '…/vault/index.js' and export what you need from there",
            },
          ],
        },
      ],
    });
  });
});
