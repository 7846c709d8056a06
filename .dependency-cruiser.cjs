/**
 * The direction of imports (DESIGN.md, docs/architecture.md):
 *   cmd -> node -> {consensus, shards, bridge, genesis} -> core
 * consensus/ never imports shards/ or node/; shards/ never imports node/;
 * nothing imports cmd/; no import cycles anywhere.
 */
const layer = (from, notTo, comment) => ({
  name: `${from}-not-to-${notTo.join('-')}`,
  severity: 'error',
  comment,
  from: { path: `^${from}/` },
  to: { path: `^(${notTo.join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles make modules impossible to reason about alone', from: {}, to: { circular: true } },
    layer('core', ['consensus', 'shards', 'bridge', 'genesis', 'node', 'cmd', 'bench', 'test'], 'core/ depends on nothing of hotshard'),
    layer('consensus', ['shards', 'bridge', 'genesis', 'node', 'cmd', 'bench', 'test'], 'the engine sees a payload through an interface only'),
    layer('shards', ['consensus', 'bridge', 'node', 'cmd', 'bench', 'test'], 'state machines do not know the node or the engine'),
    layer('genesis', ['consensus', 'shards', 'bridge', 'node', 'cmd', 'bench', 'test'], 'genesis is a format over core/'),
    layer('bridge', ['consensus', 'shards', 'node', 'cmd', 'bench', 'test'], 'the bridge side uses core/ and genesis/ only'),
    layer('node', ['cmd', 'bench', 'test'], 'nothing imports cmd/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.test\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
