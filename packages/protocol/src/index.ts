// @imagen-ts/protocol: every concept that crosses a wire between the runner, the
// edge, the notebook and API clients, defined once. Web-standard only.
export * from './limits.ts';
export * from './errors.ts';
export * from './runner-api.ts';
export * from './edge-api.ts';
export * from './json-shape.ts';
export * from './embedding-codec.ts';
export * from './signing.ts';
export * from './webhooks.ts';
export * from './infotext.ts';
export * from './png-text.ts';
export * from './pixel-hash.ts';
export * from './png-metadata.ts';
