#!/usr/bin/env node
// The `squashmate` npm package's command: runs the binary of the platform package npm installed
// for this machine (@squashmate/<os>-<cpu>, an optional dependency), as dbmate's package does.
"use strict";
const { spawnSync } = require("node:child_process");

const platform = `${process.platform}-${process.arch}`;
const name = `@squashmate/${platform}`;
let binary;
try {
  binary = require.resolve(`${name}/bin/squashmate`);
} catch {
  console.error(
    `squashmate: no binary for ${platform}: ${name} is not installed (npm installs only the platform package ` +
      "that matches this machine: linux-x64, linux-arm64, darwin-x64 or darwin-arm64; " +
      "on another platform use the container image or `cargo install`)",
  );
  process.exit(2);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  console.error(`squashmate: running ${binary}: ${result.error.message}`);
  process.exit(2);
}
process.exit(result.status ?? 1);
