/**
 * How every workflow bundle of starwave is built (`npm run build`, the benchmark's private build, and a worker that
 * bundles at start): the SDK's webpack settings with a source map that maps lines but embeds no sources
 * (`inline-nosources-source-map` instead of the SDK's `inline-source-map`). The SDK loads a bundle only with an inline
 * source map, and shows source text in stack traces only with showStackTraceSources (off by default); stack traces
 * keep their file, line and column. The bundle drops from 3.5 MiB to 1.9 MiB and each worker holds it once per
 * workflow context: measured 19 MiB less idle RSS and, with the launcher's defaults, 40-70 MiB less at 10,000
 * instances (docs/footprint.md).
 */
export const WORKFLOW_BUNDLE_DEVTOOL = 'inline-nosources-source-map';

/** bundleWorkflowCode's / Worker.create's webpackConfigHook for {@link WORKFLOW_BUNDLE_DEVTOOL}. */
export function workflowWebpackConfig<T extends { devtool?: unknown }>(config: T): T {
  return { ...config, devtool: WORKFLOW_BUNDLE_DEVTOOL };
}
