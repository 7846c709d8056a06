/** node/metrics: a dependency-free Prometheus registry, passed in to every component (never global). */
export * from './registry.js';
