#!/usr/bin/env node
// The auditor CLI (`tongban-audit`): runs services/query/src/cli/main.ts with tsx (no build step).
require('tsx/cjs');
require('../services/query/src/cli/main.ts');
