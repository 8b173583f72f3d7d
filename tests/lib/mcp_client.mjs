// SPDX-License-Identifier: Apache-2.0
// An MCP client built on the official TypeScript SDK, for tests/cli/mcp.sh
// and tests/ssh/mcp.sh. It spawns the server command given and prints one
// JSON object per line: what the test checks.
//
//   node mcp_client.mjs PHASE stdio COMMAND [ARGS…]
//
// PHASE: flow (list + Ajv-compile every schema, create → deploy → wait →
// log), refusal (set-image over a human edit), ssh (whoami, a write, a
// tenant argument), guest (whoami, help, a tool a guest does not have).
// The SDK itself validates every structuredContent against the tool's
// outputSchema in callTool.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Ajv from 'ajv';

const [phase, , command, ...args] = process.argv.slice(2);
const say = (o) => console.log(JSON.stringify(o));
const transport = new StdioClientTransport({ command, args, env: process.env, stderr: 'inherit' });
let negotiated = null; // the SDK tells a transport the revision the server answered with
transport.setProtocolVersion = (v) => { negotiated = v; };
const client = new Client({ name: 'mech-test', version: '1.0.0' });
await client.connect(transport);
say({ protocol: negotiated });

async function allTools() {
	const tools = [];
	let cursor;
	do {
		const page = await client.listTools(cursor ? { cursor } : {});
		tools.push(...page.tools);
		cursor = page.nextCursor;
	} while (cursor);
	return tools;
}

async function call(name, args) {
	const r = await client.callTool({ name, arguments: args });
	say({ [name]: r });
	return r;
}

const tools = await allTools();
say({ tools: tools.map((t) => t.name) });
if (phase === 'flow') {
	const ajv = new Ajv({ strict: true, allErrors: true });
	let n = 0;
	for (const t of tools) {
		ajv.compile(t.inputSchema);
		ajv.compile(t.outputSchema);
		n++;
	}
	say({ schemas: n });
	await call('app_create', { name: 'web', image: 'registry.example.com/alice/web:1.0' });
	await call('app_deploy', { app: 'web', tag: '1.1' });
	await call('app_wait', { app: 'web', tag: '1.1', timeout: '60s' });
	await call('log', { 'max-count': 5 });
} else if (phase === 'refusal') {
	await call('app_set_image', { app: 'web', ref: 'registry.example.com/alice/web:2.0' });
} else if (phase === 'ssh') {
	await call('whoami', {});
	await call('app_create', { name: 'api', image: 'registry.example.com/alice/api:1.0' });
	await call('app_list', { tenant: 'bob' });
} else if (phase === 'guest') {
	await call('whoami', {});
	await call('help', { command: ['app', 'create'] });
	try {
		await call('app_list', {});
	} catch (e) {
		say({ app_list_error: { code: e.code, message: e.message } });
	}
}
await client.close();
