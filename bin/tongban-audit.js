#!/usr/bin/env node
// The auditor CLI (`tongban-audit`): services/query/src/cli/main.ts, run with tsx (no build step).
require('tsx/cjs');
require('../services/query/src/cli/main.ts').main();
