#!/usr/bin/env node
// `npm run pulumi -- <args>`: the project's pinned Pulumi CLI with the offline environment.
"use strict";
process.argv.splice(2, 0, "pulumi");
require("./with-engine");
