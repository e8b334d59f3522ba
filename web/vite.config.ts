import { defineConfig } from "vite";

// The dashboard is built into the Python package, which serves it at `/`.
export default defineConfig({
  base: "/",
  build: {
    outDir: "../appliance/static",
    emptyOutDir: true,
    assetsDir: "assets",
  },
});
