// SPDX-License-Identifier: Apache-2.0
// An MCP client built on the official TypeScript SDK, for tests/cli/mcp.sh
// and tests/ssh/mcp.sh. It spawns the server command given and prints one
// JSON object per line: what the test checks.
//
//   node mcp_client.mjs PHASE stdio COMMAND [ARGS…]
//   node mcp_client.mjs PHASE http URL        (MCP_TOKEN: a bearer token)
//
// PHASE: flow (list + Ajv-compile every schema, create → deploy → wait →
// log), refusal (set-image over a human edit), ssh (whoami, a write, a
// tenant argument), guest (whoami, help, a tool a guest does not have),
// http (over StreamableHTTPClientTransport: app_list, a write, a wait whose
// progress comes as server-sent events, then DELETE of the session).
// The SDK itself validates every structuredContent against the tool's
// outputSchema in callTool.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Ajv from 'ajv';

const [phase, kind, command, ...args] = process.argv.slice(2);
const say = (o) => console.log(JSON.stringify(o));
const transport =
	kind === 'http'
		? new StreamableHTTPClientTransport(new URL(command), {
				requestInit: process.env.MCP_TOKEN
					? { headers: { Authorization: `Bearer ${process.env.MCP_TOKEN}` } }
					: {},
			})
		: new StdioClientTransport({ command, args, env: process.env, stderr: 'inherit' });
let negotiated = null; // the SDK tells a transport the revision the server answered with
const setVersion = transport.setProtocolVersion?.bind(transport);
transport.setProtocolVersion = (v) => {
	negotiated = v;
	setVersion?.(v); // the HTTP transport sends it as MCP-Protocol-Version
};
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

async function call(name, args, options) {
	const r = await client.callTool({ name, arguments: args }, undefined, options);
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
} else if (phase === 'http') {
	say({ session: transport.sessionId ?? null });
	await call('app_list', {});
	await call('app_create', { name: 'api', image: 'registry.example.com/alice/api:1.0' });
	const progress = [];
	await call('app_wait', { app: 'api', timeout: '60s' }, { onprogress: (p) => progress.push(p) });
	say({ progress });
	await transport.terminateSession();
	say({ terminated: transport.sessionId ?? null });
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
