// Enforces the folder boundaries of shared/STYLE.md ("The house"): a folder fixes where code runs,
// and a capability folder is reached only through its index.ts.
//
//   renderer/  browser code: no Node built-ins, no native or server-only packages (SERVER_ONLY_PACKAGES);
//              nothing from server/, device/, main/ except type-only imports from server/ (the
//              API's types) and from main/contract.ts (the kiosk shell's bridge); contract/ freely.
//   contract/  the API's shared schemas and types, imported as values by server/ and renderer/:
//              pure TS, so no Node built-ins, no server-only packages, and nothing from server/,
//              device/, main/, renderer/ (not even types).
//   device/    nothing from server/, renderer/, main/.
//   server/    nothing from renderer/ or main/; device/ only through device/index.ts.
//   main/      nothing from server/, device/, renderer/ except type-only imports.
//   server/<capability>/, device/<capability>/: another capability (and the folder's root files)
//              may import only the capability's index.ts.
// Everything else (test/, bin/, .eslint/, .ci/, root config files) is exempt.

import { builtinModules } from 'node:module';
import path from 'node:path';

const NODE_BUILTINS = new Set(builtinModules);

/** Top-level folders whose imports are checked. */
const CHECKED_AREAS = new Set(['renderer', 'device', 'server', 'main', 'contract']);

/**
 * Packages that only run in Node (native addons, Node-only builds) or only make sense in the core:
 * an import from browser code or from the shared contract is a mistake that bundling may hide.
 * An entry ending in '/' names a scope.
 */
const SERVER_ONLY_PACKAGES = [
  'better-sqlite3',
  'node-hid',
  'serialport',
  '@serialport/',
  'sharp',
  'libsodium-wrappers-sumo',
  '@tensorflow/',
  'onnxruntime-node',
];

/** @param {string} specifier */
function isServerOnlyPackage(specifier) {
  return SERVER_ONLY_PACKAGES.some((name) =>
    name.endsWith('/')
      ? specifier.startsWith(name)
      : specifier === name || specifier.startsWith(`${name}/`),
  );
}

/** Areas that run in the browser or are shared with it. */
const BROWSER_AREAS = new Set(['renderer', 'contract']);

/** Folders split into capability subfolders, each reached only through its index.ts. */
const CAPABILITY_AREAS = new Set(['server', 'device']);

/** Extensions a specifier of an index file may carry ('' for an extensionless specifier). */
const INDEX_EXTENSIONS = new Set(['', '.js', '.ts', '.mjs', '.mts']);

/** @param {string} p */
const toPosix = (p) => p.split(path.sep).join('/');

/**
 * Path of `absolute` relative to `root`, with forward slashes, or null when it lies outside root.
 * @param {string} root
 * @param {string} absolute
 */
function projectPath(root, absolute) {
  const relative = toPosix(path.relative(root, absolute));
  if (relative === '' || relative === '..' || relative.startsWith('../')) return null;
  if (path.isAbsolute(relative)) return null;
  return relative;
}

/** @param {string} specifier */
function isNodeBuiltin(specifier) {
  if (specifier.startsWith('node:')) return true;
  return NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0] ?? '');
}

/** @param {string} specifier */
const isPathSpecifier = (specifier) =>
  specifier.startsWith('./') ||
  specifier.startsWith('../') ||
  specifier === '.' ||
  specifier === '..' ||
  specifier.startsWith('/');

/**
 * True when `target` (a project path such as 'device/index.js') names the index of `folder`
 * ('device', 'server/vault'): the folder itself, or its index with or without an extension.
 * @param {string} target
 * @param {string} folder
 */
function isIndexOf(target, folder) {
  if (target === folder) return true;
  if (path.posix.dirname(target) !== folder) return false;
  const base = path.posix.basename(target);
  const extension = path.posix.extname(base);
  return (
    base.slice(0, base.length - extension.length) === 'index' && INDEX_EXTENSIONS.has(extension)
  );
}

/**
 * The capability folder ('server/vault') a project path lies in, or null for files directly in
 * the area ('server/app.ts', the composition root) and for the area folder itself.
 * @param {string[]} segments
 */
function capabilityOf(segments) {
  return segments.length >= 3 ? `${segments[0]}/${segments[1]}` : null;
}

/**
 * @typedef {{ specifier: string, typeOnly: boolean }} ImportInfo
 * @typedef {{ messageId: string, data: Record<string, string> }} Violation
 */

/**
 * Decides whether a file in `fromPath` may import `specifier`. Returns the violation or null.
 * @param {string} fromPath project path of the importing file, e.g. 'server/vault/db.ts'
 * @param {string} fromAbsolute absolute path of the importing file
 * @param {string} root absolute project root
 * @param {ImportInfo} info
 * @returns {Violation | null}
 */
function check(fromPath, fromAbsolute, root, { specifier, typeOnly }) {
  const fromSegments = fromPath.split('/');
  const fromArea = fromSegments[0] ?? '';

  if (!isPathSpecifier(specifier)) {
    // Bare package specifiers are not boundaries, except Node built-ins and server-only packages
    // in browser code and in the contract it shares.
    if (BROWSER_AREAS.has(fromArea) && isNodeBuiltin(specifier)) {
      return {
        messageId: fromArea === 'renderer' ? 'rendererNodeBuiltin' : 'contractNodeBuiltin',
        data: { specifier },
      };
    }
    if (BROWSER_AREAS.has(fromArea) && isServerOnlyPackage(specifier)) {
      return { messageId: 'serverOnlyPackage', data: { area: fromArea, specifier } };
    }
    return null;
  }

  // Vite-style suffixes ('./logo.svg?url') are not part of the path.
  const cleaned = specifier.replace(/[?#].*$/s, '');
  // An absolute specifier is a file-system path (Node) or a path under Vite's root, which
  // resolve() either keeps or places outside the project.
  const target = projectPath(root, path.resolve(path.dirname(fromAbsolute), cleaned));
  if (target === null) return null;

  const targetSegments = target.split('/');
  const targetArea = targetSegments[0] ?? '';
  if (targetArea === fromArea) {
    if (!CAPABILITY_AREAS.has(fromArea)) return null;
    const targetCapability = capabilityOf(targetSegments);
    if (targetCapability === null) return null;
    if (targetCapability === capabilityOf(fromSegments)) return null;
    if (isIndexOf(target, targetCapability)) return null;
    const fromCapability = capabilityOf(fromSegments);
    return {
      messageId: 'capabilityIndex',
      data: {
        from: fromCapability === null ? `${fromArea}/ (root)` : `${fromCapability}/`,
        capability: targetCapability,
        name: targetSegments[1] ?? '',
        target,
      },
    };
  }

  switch (fromArea) {
    case 'renderer':
      if (targetArea === 'server') {
        return typeOnly ? null : { messageId: 'rendererServerValue', data: { target } };
      }
      // The shell's preload bridge crosses into the page: its types only (main/contract.ts).
      if (targetArea === 'main' && typeOnly && /^main\/contract\.[cm]?[jt]s$/.test(target)) {
        return null;
      }
      if (targetArea === 'device' || targetArea === 'main') {
        return { messageId: 'rendererForbidden', data: { area: targetArea, target } };
      }
      return null;
    case 'device':
      if (targetArea === 'server' || targetArea === 'renderer' || targetArea === 'main') {
        return { messageId: 'deviceForbidden', data: { area: targetArea, target } };
      }
      return null;
    case 'server':
      if (targetArea === 'renderer' || targetArea === 'main') {
        return { messageId: 'serverForbidden', data: { area: targetArea, target } };
      }
      if (targetArea === 'device' && !isIndexOf(target, 'device')) {
        return { messageId: 'serverDeviceIndex', data: { target } };
      }
      return null;
    case 'contract':
      if (
        targetArea === 'server' ||
        targetArea === 'device' ||
        targetArea === 'main' ||
        targetArea === 'renderer'
      ) {
        return { messageId: 'contractForbidden', data: { area: targetArea, target } };
      }
      return null;
    case 'main':
      if (
        (targetArea === 'server' || targetArea === 'device' || targetArea === 'renderer') &&
        !typeOnly
      ) {
        return { messageId: 'mainForbidden', data: { area: targetArea, target } };
      }
      return null;
    default:
      return null;
  }
}

/**
 * @param {import('estree').Node | null | undefined} node
 * @returns {string | null}
 */
function staticString(node) {
  if (!node) return null;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) {
    return node.quasis[0]?.value.cooked ?? null;
  }
  return null;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Enforce the folder boundaries of STYLE.md: where code runs, and capability index files',
    },
    schema: [
      {
        type: 'object',
        properties: {
          root: {
            type: 'string',
            description: 'Absolute project root; defaults to the ESLint working directory.',
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      rendererNodeBuiltin:
        "renderer/ runs in the browser and must not import Node built-ins (imported '{{specifier}}'); ask the core over HTTP instead",
      contractNodeBuiltin:
        "contract/ is shared with the browser and must not import Node built-ins (imported '{{specifier}}'); keep it pure TypeScript",
      serverOnlyPackage:
        "{{area}}/ runs in (or is shared with) the browser and must not import the server-only package '{{specifier}}'; ask the core over HTTP instead",
      contractForbidden:
        "contract/ must not import from {{area}}/ (imported '{{target}}'); the contract stands alone, server/ and renderer/ import it",
      rendererServerValue:
        "renderer/ may import from server/ only with type-only imports (imported '{{target}}'); use `import type` and call the API over HTTP",
      rendererForbidden:
        "renderer/ must not import from {{area}}/ (imported '{{target}}'); only type-only imports from server/ are allowed, reach the rest through the core's HTTP API",
      deviceForbidden:
        "device/ must not import from {{area}}/ (imported '{{target}}'); device/ stands alone, let the composition root in server/ pass dependencies in",
      serverForbidden:
        "server/ must not import from {{area}}/ (imported '{{target}}'); server/ stands below the UI and the shell, move shared code into server/ and import it from there",
      serverDeviceIndex:
        "server/ may reach device/ only through device/index.ts (imported '{{target}}'); import '…/device/index.js' and export what you need from there",
      mainForbidden:
        "main/ must not reach into {{area}}/ (imported '{{target}}'); only type-only imports are allowed, start the core and talk to it instead",
      capabilityIndex:
        "{{from}} may reach {{capability}}/ only through {{capability}}/index.ts (imported '{{target}}'); import '…/{{name}}/index.js' and export what you need from there",
    },
  },

  create(context) {
    /** @type {{ root?: string }} */
    const options = context.options[0] ?? {};
    const cwd = context.cwd;
    const root = path.resolve(cwd, options.root ?? cwd);
    const filename = context.filename;
    if (!filename || filename.startsWith('<')) return {};
    const fromAbsolute = path.resolve(cwd, filename);
    const fromPath = projectPath(root, fromAbsolute);
    if (fromPath === null) return {};
    const fromArea = fromPath.split('/')[0] ?? '';
    if (!CHECKED_AREAS.has(fromArea) || !fromPath.includes('/')) return {};

    /**
     * @param {import('estree').Node} reportNode
     * @param {string | null} specifier
     * @param {boolean} typeOnly
     */
    function checkImport(reportNode, specifier, typeOnly) {
      if (specifier === null) return;
      const violation = check(fromPath, fromAbsolute, root, { specifier, typeOnly });
      if (violation) context.report({ node: reportNode, ...violation });
    }

    // The TypeScript AST adds importKind/exportKind and TS-only nodes to ESTree; read them loosely.
    /** @param {any} node */
    const isTypeOnlyImport = (node) =>
      node.importKind === 'type' ||
      (node.specifiers.length > 0 &&
        node.specifiers.every(
          (/** @type {any} */ s) => s.type === 'ImportSpecifier' && s.importKind === 'type',
        ));
    /** @param {any} node */
    const isTypeOnlyExport = (node) =>
      node.exportKind === 'type' ||
      (node.specifiers?.length > 0 &&
        node.specifiers.every((/** @type {any} */ s) => s.exportKind === 'type'));

    return {
      ImportDeclaration(node) {
        checkImport(node.source, staticString(node.source), isTypeOnlyImport(node));
      },
      ExportNamedDeclaration(node) {
        if (node.source) {
          checkImport(node.source, staticString(node.source), isTypeOnlyExport(node));
        }
      },
      ExportAllDeclaration(node) {
        checkImport(node.source, staticString(node.source), isTypeOnlyExport(node));
      },
      ImportExpression(node) {
        checkImport(node.source, staticString(node.source), false);
      },
      CallExpression(node) {
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          node.arguments.length >= 1
        ) {
          const argument = node.arguments[0];
          if (argument && argument.type !== 'SpreadElement') {
            checkImport(argument, staticString(argument), false);
          }
        }
      },
      /** `import x = require('…')` */
      /** @param {any} node */
      TSImportEqualsDeclaration(node) {
        const reference = node.moduleReference;
        if (reference?.type === 'TSExternalModuleReference') {
          checkImport(
            reference.expression,
            staticString(reference.expression),
            node.importKind === 'type',
          );
        }
      },
      /** `type T = import('…').T` is a type-only import. */
      /** @param {any} node */
      TSImportType(node) {
        const source = node.source ?? node.argument?.literal ?? node.parameter?.literal;
        checkImport(source ?? node, staticString(source), true);
      },
    };
  },
};

export default rule;
