#!/usr/bin/env node
'use strict';
// The gadget agent: JSON-line requests on stdin, replies on stdout (see contract/src/protocol.ts).
require('../gadget-agent/dist/src/session/agent-main.js').runAgent();
