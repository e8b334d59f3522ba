import { defineConfig } from "vite";

// The dashboard is built into the Python package, which serves it at `/`. The tracker is built
// first (scripts/build-tracker.mjs) into build/tracker/js/; as the public dir, it is copied to
// appliance/static/js/ after emptyOutDir has cleared the previous build.
export default defineConfig({
  base: "/",
  publicDir: "build/tracker",
  // The dashboard is written with Preact's JSX (docs/DASHBOARD.md says why).
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../appliance/static",
    emptyOutDir: true,
    assetsDir: "assets",
  },
});
