#!/usr/bin/env node
'use strict';
// Runs the TypeScript CLI directly: tsx is a runtime dependency, so there is no build step.
require('tsx/cjs');
require('../src/cli/main.ts');
