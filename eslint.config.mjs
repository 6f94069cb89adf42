import { dirname, relative, resolve, sep } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

// Dependencies point one way: contracts <- postgres <- event-store <- messaging <- projections <- service-kit <- apps
// (personal-data beside messaging, above event-store)
// (platform beside postgres, above contracts). What each library's own code may import of ours, by name.
const LIB_DEPENDENCIES = {
  contracts: [],
  postgres: ['contracts'],
  platform: ['contracts'],
  // Test infrastructure (databases, the broker): it knows no library but the contracts, and runs the broker by name.
  testing: ['contracts', 'kafka-runner'],
  'event-store': ['contracts', 'postgres'],
  // Seals personal data for the event store's adapters (through the port's PersonalDataCodec).
  'personal-data': ['contracts', 'postgres', 'event-store'],
  messaging: ['contracts', 'postgres', 'event-store', 'platform'],
  projections: ['contracts', 'postgres', 'event-store', 'messaging', 'platform'],
  admin: ['contracts', 'postgres', 'event-store', 'messaging', 'projections', 'platform'],
  'service-kit': ['contracts', 'postgres', 'event-store', 'personal-data', 'messaging', 'projections', 'platform'],
};

/** `libs/messaging/src/x.ts` -> { kind: 'libs', name: 'messaging', dir: '<root>/libs/messaging' }. */
const packageOf = (file) => {
  const [kind, name] = relative(root, file).split(sep);
  return ['libs', 'apps', 'tools'].includes(kind) && name ? { kind, name, dir: resolve(root, kind, name) } : undefined;
};
const isTestCode = (file) => /\.spec\.ts$/.test(file) || file.split(sep).includes('testing');

const boundaries = {
  meta: { type: 'problem', schema: [], messages: { relative: '{{message}}', layer: '{{message}}' } },
  create(context) {
    const own = packageOf(context.filename);
    if (!own) return {};
    const test = isTestCode(context.filename);
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const target = resolve(dirname(context.filename), source);
        if (target !== own.dir && !target.startsWith(own.dir + sep)) {
          const other = packageOf(target);
          context.report({ node, messageId: 'relative', data: { message: `relative import out of ${own.kind}/${own.name}: import the package by name (@clientela/${other?.name ?? '…'}, or its /testing entry)` } });
        }
        return;
      }
      const match = /^@clientela\/([a-z-]+)(\/.*)?$/.exec(source);
      if (!match || own.kind !== 'libs') return;
      const [, name, subpath] = match;
      const allowed = LIB_DEPENDENCIES[own.name] ?? [];
      if (name === own.name && subpath === '/testing' && test) return;
      if (subpath && subpath !== '/testing') {
        context.report({ node, messageId: 'layer', data: { message: `${source}: import @clientela/${name} or its /testing entry, not its files` } });
        return;
      }
      const ok = allowed.includes(name) && (!subpath || test);
      const okInTests = test && (name === 'testing' || name === 'kafka-runner');
      if (!ok && !okInTests) {
        context.report({ node, messageId: 'layer', data: { message: `libs/${own.name} may not import ${source}: dependencies point one way (${allowed.join(', ') || 'nothing of ours'}${test ? '; in tests also @clientela/testing and their /testing entries' : ''})` } });
      }
    };
    const literal = (node) => (node && node.type === 'Literal' ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ImportExpression: (node) => check(node, literal(node.source)),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, literal(node.arguments[0]));
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['**/*.spec.ts', 'tools/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Libraries: imports follow the dependency direction; nothing reaches into another package by a relative path.
    files: ['libs/**/*.ts'],
    plugins: { clientela: { rules: { boundaries } } },
    rules: { 'clientela/boundaries': 'error' },
  },
);
