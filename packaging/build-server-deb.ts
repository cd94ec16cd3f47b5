/**
 * `npm run package:server`: builds the headless server package (verikiosk-server_<v>_<arch>.deb)
 * with dpkg-deb from our own control files in packaging/deb/ (fpm, which electron-builder's deb
 * target needs, is not in Debian).
 *
 *   --version <v>   the package version (default: package.json's); the install test rebuilds
 *                   with a higher one to test an upgrade
 *   --out <dir>     where the .deb goes (default: release/)
 *
 * The package holds the compiled core (tsc straight into the staging tree), bin/verikiosk.js,
 * models/, and the production subset of the installed node_modules (`npm ls --omit=dev`), copied
 * rather than reinstalled: no network is needed, and the native modules are the ones the tests
 * ran against, built for this machine's Node (better-sqlite3 is not N-API). Build on the Debian
 * release and architecture you ship to.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const PACKAGE_NAME = 'verikiosk-server';
/** Where the core lives on the target machine. */
export const INSTALL_DIR = 'usr/lib/verikiosk';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian's version syntax (upstream part), so a typo fails here rather than in dpkg-deb. */
const DEB_VERSION = /^[0-9][A-Za-z0-9.+~-]*$/;

export class PackagingError extends Error {
  constructor(
    message: string,
    readonly step: 'usage' | 'compile' | 'modules' | 'dpkg-deb',
  ) {
    super(message);
  }
}

/**
 * Files of the production modules that are never loaded on a Linux x64/arm64 appliance: source
 * maps, other platforms' onnxruntime binaries, better-sqlite3's bundled SQLite sources and
 * object files (the compiled addon in build/Release stays).
 */
export function isPrunable(relative: string, arch: string): boolean {
  const p = relative.split(path.sep).join('/');
  if (p.endsWith('.map')) return true;
  const onnx = /(^|\/)onnxruntime-node\/bin\/napi-v\d+\/([^/]+)(?:\/([^/]+))?/.exec(p);
  if (onnx) {
    const [, , platform, cpu] = onnx;
    if (platform !== 'linux') return true;
    if (cpu !== undefined && cpu !== arch) return true;
  }
  if (/(^|\/)better-sqlite3\/(deps|src)(\/|$)/.test(p)) return true;
  if (/(^|\/)better-sqlite3\/build\/Release\/(obj|obj\.target|\.deps)(\/|$)/.test(p)) return true;
  if (/(^|\/)better-sqlite3\/build\/Release\/(sqlite3\.a|test_extension\.node)$/.test(p))
    return true;
  return false;
}

/** The Node architecture name of a Debian architecture (for pruning). */
function nodeArch(debArch: string): string {
  return debArch === 'amd64' ? 'x64' : debArch;
}

/** stdout or stderr of a failed execFileSync, as text. */
function outputOf(error: unknown, stream: 'stdout' | 'stderr'): string {
  const value = (error as Record<string, unknown>)[stream];
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : '';
}

function run(command: string, args: readonly string[], cwd = repoRoot): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The production packages' directories, relative to the repo root (node_modules/...). */
export function productionModuleDirs(root = repoRoot): string[] {
  // npm ls exits 1 on extraneous or missing optional packages; its list is still right.
  let out: string;
  try {
    out = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], root);
  } catch (error) {
    out = outputOf(error, 'stdout');
  }
  const dirs = out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(root + path.sep))
    .map((line) => path.relative(root, line))
    .filter((rel) => rel.startsWith('node_modules' + path.sep));
  if (dirs.length === 0) throw new PackagingError('npm ls found no production modules', 'modules');
  // A nested package is copied with its parent.
  const set = new Set(dirs);
  return [...set]
    .filter((rel) => {
      const parts = rel.split(`${path.sep}node_modules${path.sep}`);
      for (let i = 1; i < parts.length; i++) {
        if (set.has(parts.slice(0, i).join(`${path.sep}node_modules${path.sep}`))) return false;
      }
      return true;
    })
    .sort();
}

function copyTree(from: string, to: string, arch: string, base: string): void {
  fs.cpSync(from, to, {
    recursive: true,
    dereference: false,
    verbatimSymlinks: true,
    filter: (src) => !isPrunable(path.relative(base, src), arch),
  });
}

function duKiB(dir: string): number {
  const out = run('du', ['-sk', '--apparent-size', dir]);
  return Number(out.split(/\s/)[0]);
}

export interface BuiltPackage {
  file: string;
  version: string;
  arch: string;
}

export function buildServerDeb(options: { version?: string; outDir?: string }): BuiltPackage {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
    [key: string]: unknown;
  };
  const version = options.version ?? pkg.version;
  if (!DEB_VERSION.test(version))
    throw new PackagingError(`--version ${version} is not a Debian version`, 'usage');
  const arch = run('dpkg', ['--print-architecture']).trim();
  const outDir = path.resolve(options.outDir ?? path.join(repoRoot, 'release'));
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'verikiosk-deb-'));
  try {
    const app = path.join(staging, INSTALL_DIR);
    fs.mkdirSync(app, { recursive: true });

    // The core, compiled without source maps; the Electron shell is not part of this package.
    try {
      run('npx', [
        'tsc',
        '-p',
        'tsconfig.build.json',
        '--outDir',
        path.join(app, 'dist'),
        '--sourceMap',
        'false',
      ]);
    } catch (error) {
      const out = outputOf(error, 'stdout');
      throw new PackagingError(`tsc failed:\n${out}`, 'compile');
    }
    fs.rmSync(path.join(app, 'dist', 'main'), { recursive: true, force: true });
    // The web UI (kiosk, staff console, admin pages) the core serves: staff on the branch network
    // reach a headless appliance's console with their browser.
    try {
      run('npx', [
        'vite',
        'build',
        '--config',
        'renderer/vite.config.ts',
        '--outDir',
        path.join(app, 'dist', 'renderer'),
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ]);
    } catch (error) {
      const out = outputOf(error, 'stdout');
      throw new PackagingError(`vite build failed:\n${out}`, 'compile');
    }

    fs.writeFileSync(
      path.join(app, 'package.json'),
      `${JSON.stringify({ ...pkg, version }, null, 2)}\n`,
    );
    fs.mkdirSync(path.join(app, 'bin'));
    fs.copyFileSync(
      path.join(repoRoot, 'bin', 'verikiosk.js'),
      path.join(app, 'bin', 'verikiosk.js'),
    );
    fs.cpSync(path.join(repoRoot, 'models'), path.join(app, 'models'), { recursive: true });
    for (const rel of productionModuleDirs()) {
      copyTree(path.join(repoRoot, rel), path.join(app, rel), nodeArch(arch), repoRoot);
    }

    const install = (from: string, to: string, mode: number): void => {
      const target = path.join(staging, to);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, 'packaging', from), target);
      fs.chmodSync(target, mode);
    };
    install('deb/verikiosk', 'usr/bin/verikiosk', 0o755);
    install('deb/verikiosk.service', 'usr/lib/systemd/system/verikiosk.service', 0o644);
    install('udev/70-verikiosk.rules', 'usr/lib/udev/rules.d/70-verikiosk.rules', 0o644);

    const installedSize = duKiB(staging);
    const control = fs
      .readFileSync(path.join(repoRoot, 'packaging', 'deb', 'control.in'), 'utf8')
      .replaceAll('@VERSION@', version)
      .replaceAll('@ARCH@', arch)
      .replaceAll('@INSTALLED_SIZE@', String(installedSize));
    const debian = path.join(staging, 'DEBIAN');
    fs.mkdirSync(debian, { mode: 0o755 });
    fs.writeFileSync(path.join(debian, 'control'), control, { mode: 0o644 });
    for (const script of ['preinst', 'postinst', 'prerm', 'postrm'])
      install(`deb/${script}`, `DEBIAN/${script}`, 0o755);

    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `${PACKAGE_NAME}_${version}_${arch}.deb`);
    try {
      // zstd: a fraction of xz's time on 2 cores; dpkg reads it since 1.21.18 (bookworm has 1.21.22).
      run('dpkg-deb', ['--root-owner-group', '-Zzstd', '-z6', '--build', staging, file]);
    } catch (error) {
      const err = outputOf(error, 'stderr');
      throw new PackagingError(`dpkg-deb failed: ${err}`, 'dpkg-deb');
    }
    return { file, version, arch };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { values } = parseArgs({
      options: { version: { type: 'string' }, out: { type: 'string' } },
      strict: true,
    });
    const built = buildServerDeb({ version: values.version, outDir: values.out });
    process.stdout.write(`${built.file}\n`);
  } catch (error) {
    const usage =
      error instanceof PackagingError ? error.step === 'usage' : error instanceof TypeError;
    process.stderr.write(`package:server: ${(error as Error).message}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}
