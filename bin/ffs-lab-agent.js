#!/usr/bin/env node
'use strict';
// The gadget agent: JSON-line requests on stdin, replies on stdout (see contract/src/protocol.ts).
require('../dist/gadget-agent/src/session/agent-main.js').runAgent();
