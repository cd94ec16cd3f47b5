import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../server/cli/bin-helpers.js';

/**
 * electron-builder.yml against electron-builder's own schema (app-builder-lib/scheme.json, with
 * the ajv it ships), and its `files` patterns run through electron-builder's own matchers
 * (app-builder-lib/out/fileMatcher.js) over the files the packaged app loads at run time.
 */
const require = createRequire(import.meta.url);
const builderLib = path.dirname(require.resolve('app-builder-lib/package.json'));
const fromBuilder = createRequire(path.join(builderLib, 'package.json'));

type Json = Record<string, unknown>;
const yaml = fromBuilder('js-yaml') as { load(text: string): unknown };
const config = yaml.load(
  fs.readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8'),
) as Json;

interface AjvLike {
  compile(schema: unknown): ((data: unknown) => boolean) & { errors?: unknown[] | null };
}
function validator() {
  const Ajv = (fromBuilder('ajv') as { default: new (o: object) => AjvLike }).default;
  const schema = JSON.parse(fs.readFileSync(path.join(builderLib, 'scheme.json'), 'utf8')) as Json;
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

interface Stat {
  isDirectory(): boolean;
}
type Filter = (file: string, stat: Stat) => boolean;
interface Matcher {
  createFilter(): Filter;
}
const matchers = fromBuilder(path.join(builderLib, 'out', 'fileMatcher.js')) as {
  getMainFileMatchers(...args: unknown[]): Matcher[];
  getNodeModuleFileMatcher(...args: unknown[]): Matcher;
  excludedNames: string;
  excludedExts: string;
};

/** The parts of electron-builder's packager its matchers read. */
function packagerFor(cfg: Json) {
  const info = {
    config: cfg,
    projectDir: repoRoot,
    isPrepackedAppAsar: false,
    debugLogger: { isEnabled: false },
    buildResourcesDir: path.join(
      repoRoot,
      ((cfg.directories as Json | undefined)?.buildResources as string) ?? 'build',
    ),
  };
  return {
    info,
    platformSpecificBuildOptions: (cfg.linux ?? {}) as Json,
    outDir: path.join(repoRoot, 'release'),
  };
}

const fileStat: Stat = { isDirectory: () => false };
const expand = (s: string) => s;

/** Whether electron-builder would put `relative` (from the repo root) into the app. */
function packaged(cfg: Json): (relative: string) => boolean {
  const p = packagerFor(cfg);
  const main = matchers
    .getMainFileMatchers(
      repoRoot,
      '/app',
      expand,
      p.platformSpecificBuildOptions,
      { info: p.info },
      p.outDir,
      false,
    )[0]!
    .createFilter();
  const modules = matchers
    .getNodeModuleFileMatcher(repoRoot, '/app', expand, p.platformSpecificBuildOptions, p.info)
    .createFilter();
  // NodeModuleCopyHelper's own exclusions: names, and extensions (not .node/.wasm/.bin).
  const names = new Set(matchers.excludedNames.split(','));
  const exts = new Set(matchers.excludedExts.split(',').map((e) => `.${e}`));
  return (relative) => {
    const file = path.join(repoRoot, relative);
    if (!relative.startsWith('node_modules/')) return main(file, fileStat);
    if (relative.split('/').some((part) => names.has(part))) return false;
    if ([...exts].some((e) => relative.endsWith(e))) return false;
    return modules(file, fileStat);
  };
}

/** Every file of the production modules (npm ls --omit=dev), relative to the repo root. */
function productionFiles(): string[] {
  let out: string;
  try {
    out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (error) {
    out = String((error as { stdout?: string }).stdout ?? '');
  }
  const files = new Set<string>();
  for (const dir of out.split('\n').filter((l) => l.startsWith(`${repoRoot}/node_modules/`))) {
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        files.add(path.relative(repoRoot, path.join(entry.parentPath, entry.name)));
    }
  }
  return [...files];
}

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's schema", () => {
    const validate = validator();
    const ok = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('fails the schema with a misspelt key (the check can fail)', () => {
    const validate = validator();
    expect(validate({ ...config, deb: { ...(config.deb as Json), depend: ['x'] } })).toBe(false);
  });

  it('builds deb and AppImage, with the udev rules, both units and the install scripts', () => {
    const linux = config.linux as Json;
    expect(linux.target).toEqual(['deb', 'AppImage']);
    const extra = (linux.extraFiles as { from: string; to: string }[]).map((f) => f.from);
    expect(extra).toEqual(
      expect.arrayContaining([
        'packaging/udev/70-verikiosk.rules',
        'packaging/deb/verikiosk.service',
        'packaging/electron/verikiosk-kiosk.service',
      ]),
    );
    const deb = config.deb as Json;
    for (const from of [...extra, deb.afterInstall as string, deb.afterRemove as string]) {
      expect(fs.existsSync(path.join(repoRoot, from)), from).toBe(true);
    }
    expect(deb.depends).toEqual(
      expect.arrayContaining(['nodejs (>= 20.19)', 'libusb-1.0-0', 'udev', 'libnss3']),
    );
  });

  it("backs up the vault before an upgrade (the server package's preinst) and restarts after it", () => {
    const fpm = (config.deb as Json).fpm as string[];
    expect(fpm).toContain('--before-install=packaging/deb/preinst');
    const preinst = path.join(repoRoot, 'packaging/deb/preinst');
    expect(fs.statSync(preinst).mode & 0o111).not.toBe(0);
    // electron-builder passes no before-install of its own that this one would clash with.
    const fpmTarget = fs.readFileSync(
      path.join(builderLib, 'out', 'targets', 'FpmTarget.js'),
      'utf8',
    );
    expect(fpmTarget).toContain('"--after-install"');
    expect(fpmTarget).not.toContain('"--before-install"');
    // dpkg's calls: a first install and an upgrade of a machine with no vault do nothing; an
    // unknown call fails.
    const run = (...args: string[]): number => {
      try {
        execFileSync('sh', [preinst, ...args], { stdio: 'pipe' });
        return 0;
      } catch (error) {
        return (error as { status: number }).status;
      }
    };
    if (!fs.existsSync('/var/lib/verikiosk/keys.json')) expect(run('upgrade', '0.0.1')).toBe(0);
    expect(run('install')).toBe(0);
    expect(run('bogus')).toBe(1);
    const script = fs.readFileSync(
      path.join(repoRoot, (config.deb as Json).afterInstall as string),
      'utf8',
    );
    expect(script).toMatch(/systemctl try-restart verikiosk-kiosk\.service verikiosk\.service/);
  });

  it("keeps electron-builder's chrome-sandbox logic and creates the user in after-install", () => {
    const script = fs.readFileSync(
      path.join(repoRoot, (config.deb as Json).afterInstall as string),
      'utf8',
    );
    const template = fs.readFileSync(
      path.join(builderLib, 'templates', 'linux', 'after-install.tpl'),
      'utf8',
    );
    const sandbox = template.slice(
      template.indexOf('# Check if user namespaces'),
      template.indexOf('if hash update-mime-database'),
    );
    expect(script).toContain(sandbox.trim());
    expect(script).toMatch(/groupadd --system verikiosk/);
    expect(script).toMatch(/useradd --system --gid verikiosk/);
    expect(script).toMatch(/70-verikiosk\.rules"? \/usr\/lib\/udev\/rules\.d\//);
  });

  describe('files', () => {
    const included = packaged(config);
    const production = productionFiles();

    it('include the compiled app, the CLI and the MRZ OCR model', () => {
      for (const file of [
        'package.json',
        'bin/verikiosk.js',
        'dist/main/main.js',
        'dist/main/preload.cjs',
        'dist/server/cli/run.js',
        'dist/server/biometrics/face/engine/worker.js',
      ]) {
        expect(included(file), file).toBe(true);
      }
      const models = fs
        .readdirSync(path.join(repoRoot, 'models'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile());
      expect(models.length).toBeGreaterThan(0);
      for (const entry of models) {
        const file = path.relative(repoRoot, path.join(entry.parentPath, entry.name));
        expect(included(file), file).toBe(true);
      }
      expect(included('dist/server/cli/run.js.map')).toBe(false);
      expect(included('test/main/policy.test.ts')).toBe(false);
    });

    it.each([
      ['better-sqlite3', /^node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node$/],
      ['node-hid (hidraw)', /^node_modules\/node-hid\/prebuilds\/HID_hidraw-linux-x64\/.*\.node$/],
      ['node-hid (libusb)', /^node_modules\/node-hid\/prebuilds\/HID-linux-x64\/.*\.node$/],
      [
        '@serialport/bindings-cpp',
        /^node_modules\/@serialport\/bindings-cpp\/prebuilds\/linux-x64\/.*glibc\.node$/,
      ],
      ['sharp', /^node_modules\/@img\/sharp-linux-x64\/lib\/.*\.node$/],
      ['libvips for sharp', /^node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips.*\.so/],
    ])('include the native module %s for linux-x64', (_name, pattern) => {
      const files = production.filter((f) => pattern.test(f));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect(included(file), file).toBe(true);
    });

    it('include every wasm binary and the face models', () => {
      const wanted = production.filter(
        (f) => f.endsWith('.wasm') || f.startsWith('node_modules/@vladmandic/face-api/model/'),
      );
      expect(wanted.some((f) => f.endsWith('tfjs-backend-wasm.wasm'))).toBe(true);
      expect(wanted.some((f) => f.endsWith('zxing_reader.wasm'))).toBe(true);
      expect(wanted.some((f) => f.includes('face-api/model/'))).toBe(true);
      expect(wanted.filter((f) => !included(f))).toEqual([]);
    });

    it("leave out other platforms' binaries (the exclusions take effect)", () => {
      const darwin = production.filter((f) => f.includes('onnxruntime-node/bin/napi-v6/darwin/'));
      expect(darwin.length).toBeGreaterThan(0);
      expect(darwin.filter((f) => included(f))).toEqual([]);
    });

    it('would miss models/ without its pattern (the check can fail)', () => {
      const without = {
        ...config,
        files: (config.files as string[]).filter((p) => !p.startsWith('models')),
      };
      expect(packaged(without)('models/mrz-ocr/model.json')).toBe(false);
    });
  });
});

describe('npm ci and the tests without the Electron binary', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    allowScripts?: Record<string, boolean>;
  };
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };

  it('runs no install script that would download Electron', () => {
    const electron = lock.packages['node_modules/electron'];
    expect(electron).toBeDefined();
    // Electron 45 has none (it fetches its binary on first require); if a version brings one
    // back, npm's allowScripts must keep it off, as it keeps every unlisted package's.
    if (electron?.hasInstallScript === true) expect(pkg.allowScripts?.electron).not.toBe(true);
    expect(Object.keys(pkg.allowScripts ?? {})).not.toContain('electron');
  });

  it("loads Electron's module only in what Electron runs (in Node its first load would download)", () => {
    const runtimeImport = /^import\s+(?!type\b)[^;]*from\s+'electron'|require\('electron'\)/m;
    const sources = (dir: string): string[] =>
      fs
        .readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => /\.(c|m)?ts$/.test(f))
        .map((f) => path.join(dir, f));
    const offenders = ['main', 'server', 'contract', 'device', 'test']
      .flatMap(sources)
      .filter((f) => runtimeImport.test(fs.readFileSync(path.join(repoRoot, f), 'utf8')));
    // The shell's entry and its preload run inside Electron, where 'electron' is built in.
    expect(offenders.sort()).toEqual(['main/main.ts', 'main/preload.cts']);
    // The pattern finds a runtime import (the check can fail).
    expect(runtimeImport.test("import { app } from 'electron';")).toBe(true);
    expect(runtimeImport.test("import type { App } from 'electron';")).toBe(false);
  });
});
