// What the phone's 消息 and 手机报 pages rely on from the member API (NEWSPAPER.md, `api.py`), and the
// check of an OpenAPI document against it. One entry per operation: the path as the OpenAPI document
// writes it ({…} for a path parameter, whatever the server names it), the query parameters and body
// fields the phone sends, the success status it expects, and every field of the answer it reads with
// its type ("items[].id" is `id` in each element of the array `items`). A field the phone reads must be
// `required` in the document: the server promises to send it (null where the document allows null).
//
// Used by tests/news.contract.test.js against a live server's /api/openapi.json, and by
// tests/news-openapi.test.js (always run) to check the fakes the page tests use say the same.

const NEWS_CONTRACT = [
  {
    method: 'get',
    path: '/api/inbox',
    query: ['cursor', 'limit'],
    status: '200',
    response: {
      items: 'array',
      'items[].id': 'integer',
      'items[].kind': 'string',
      'items[].ref_id': 'integer',
      'items[].title': 'string',
      'items[].subtitle': 'string',
      'items[].cover_url': 'string',
      'items[].delivered_at': 'string',
      'items[].unread': 'boolean',
      next_cursor: 'string',
      unread: 'integer',
      by_kind: 'object', // the badges per kind (notices beside the newspaper)
    },
  },
  { method: 'get', path: '/api/inbox/unread', status: '200', response: { unread: 'integer' } },
  {
    method: 'get',
    path: '/api/newspaper/issues/{}',
    status: '200',
    response: {
      id: 'integer',
      number: 'integer',
      title: 'string',
      org_name: 'string',
      published_at: 'string',
      articles: 'array',
      'articles[].id': 'integer',
      'articles[].title': 'string',
      'articles[].summary': 'string',
      'articles[].cover_url': 'string',
      'articles[].read': 'boolean',
      'articles[].liked': 'boolean',
    },
  },
  {
    method: 'get',
    path: '/api/newspaper/articles/{}',
    query: ['share'],
    status: '200',
    response: {
      id: 'integer',
      issue_id: 'integer',
      title: 'string',
      summary: 'string',
      cover_url: 'string',
      body_html: 'string',
      likes: 'integer',
      liked: 'boolean',
      published_at: 'string',
      share_path: 'string',
    },
  },
  // the phone reads nothing of this answer: any success will do (NEWSPAPER.md says 204)
  { method: 'post', path: '/api/newspaper/articles/{}/finish', status: '2xx', response: {} },
  {
    method: 'post',
    path: '/api/newspaper/articles/{}/like',
    body: ['liked'],
    status: '200',
    response: { likes: 'integer', liked: 'boolean' },
  },
  { method: 'post', path: '/api/newspaper/articles/{}/share', status: '200', response: { share_path: 'string' } },
  // 订阅手机报推送 (utils/subscribe.js and the line under the button)
  {
    method: 'get',
    path: '/api/me/subscriptions',
    status: '200',
    response: {
      subscriptions: 'array',
      'subscriptions[].purpose': 'string',
      'subscriptions[].remaining': 'integer',
      'subscriptions[].refused_at': 'string',
    },
  },
  { method: 'post', path: '/api/me/subscriptions', body: ['results'], status: '200', response: {} },
];

// ---- the check ----

const normalise = (path) => path.replace(/\{[^}]*\}/g, '{}');

function resolve(document, schema, seen = new Set()) {
  if (!schema || typeof schema !== 'object') return {};
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return {};
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce((node, key) => (node ? node[key] : undefined), document);
    return resolve(document, target, new Set(seen).add(schema.$ref));
  }
  // allOf / anyOf / oneOf (a nullable nested schema, say): the properties and requirements of each part
  const parts = [...(schema.allOf || []), ...(schema.anyOf || []), ...(schema.oneOf || [])];
  if (!parts.length) return schema;
  const merged = { ...schema, properties: { ...(schema.properties || {}) }, required: [...(schema.required || [])] };
  for (const part of parts.map((p) => resolve(document, p, seen))) {
    Object.assign(merged.properties, part.properties || {});
    merged.required.push(...(part.required || []));
    if (!merged.type && part.type && part.type !== 'null') merged.type = part.type;
    if (!merged.items && part.items) merged.items = part.items;
    if (!merged.enum && part.enum) merged.enum = part.enum;
  }
  return merged;
}

function typeMatches(schema, expected) {
  const types = [].concat(schema.type || []);
  if (types.length) return types.includes(expected) || (expected === 'number' && types.includes('integer'));
  if (schema.enum) {
    const jsType = expected === 'integer' ? 'number' : expected;
    return schema.enum.filter((v) => v !== null).every((v) => typeof v === jsType);
  }
  if (schema.properties) return expected === 'object';
  return true; // a field the document leaves open (any type)
}

// Problems with `field` ("items[].id") in `schema`, as sentences; [] when the document promises it.
function fieldProblems(document, schema, field, expected) {
  let node = resolve(document, schema);
  const steps = field.split('.');
  for (let i = 0; i < steps.length; i += 1) {
    const array = steps[i].endsWith('[]');
    const name = array ? steps[i].slice(0, -2) : steps[i];
    const props = node.properties || {};
    if (!(name in props)) return [`no field ${steps.slice(0, i + 1).join('.').replace(/\[\]$/, '')}`];
    if (!(node.required || []).includes(name)) return [`${field}: not required`];
    node = resolve(document, props[name]);
    if (array) {
      if (!typeMatches(node, 'array')) return [`${steps.slice(0, i + 1).join('.')}: not an array`];
      node = resolve(document, node.items);
    }
  }
  return typeMatches(node, expected) ? [] : [`${field}: not ${expected} (${JSON.stringify(node.type || node.enum)})`];
}

function findOperation(document, entry) {
  const wanted = normalise(entry.path);
  const path = Object.keys(document.paths || {}).find((p) => normalise(p) === wanted);
  if (!path) return null;
  const item = document.paths[path];
  const operation = item[entry.method];
  return operation ? { operation, parameters: [...(item.parameters || []), ...(operation.parameters || [])] } : null;
}

function jsonSchema(content) {
  const json = content && (content['application/json'] || content['application/json; charset=utf-8']);
  return json ? json.schema : undefined;
}

// Everything in `document` (an OpenAPI 3 document) that falls short of `contract`, as sentences.
function contractProblems(document, contract = NEWS_CONTRACT) {
  const problems = [];
  for (const entry of contract) {
    const where = `${entry.method.toUpperCase()} ${entry.path}`;
    const found = findOperation(document, entry);
    if (!found) {
      problems.push(`${where}: not in the document`);
      continue;
    }
    const { operation, parameters } = found;
    const say = (problem) => problems.push(`${where}: ${problem}`);
    const security = operation.security || document.security || [];
    if (!security.some((requirement) => 'bearer' in requirement)) say('does not take the member session (bearer)');
    const query = parameters.map((p) => resolve(document, p)).filter((p) => p.in === 'query').map((p) => p.name);
    (entry.query || []).filter((name) => !query.includes(name)).forEach((name) => say(`no query parameter ${name}`));
    if (entry.body) {
      const body = resolve(document, operation.requestBody);
      const props = resolve(document, jsonSchema(body.content)).properties || {};
      entry.body.filter((name) => !(name in props)).forEach((name) => say(`no body field ${name}`));
    }
    const statuses = Object.keys(operation.responses || {});
    const status = entry.status === '2xx' ? statuses.find((s) => /^2\d\d$/.test(s)) : statuses.find((s) => s === entry.status);
    if (!status) {
      say(`no ${entry.status} answer`);
      continue;
    }
    const schema = jsonSchema(resolve(document, operation.responses[status]).content);
    Object.entries(entry.response).forEach(([field, type]) => fieldProblems(document, schema, field, type).forEach(say));
  }
  return problems;
}

// A sample answer (from a fake) checked against one entry's fields: what is missing or of another type.
function sampleProblems(sample, entry) {
  const problems = [];
  const typeOf = (value) => (Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value);
  const check = (value, steps, field, type) => {
    if (!steps.length) {
      if (value !== null && typeOf(value) !== type && !(type === 'number' && typeof value === 'number')) {
        problems.push(`${field}: ${JSON.stringify(value)} is not ${type}`);
      }
      return;
    }
    const [step, ...rest] = steps;
    const array = step.endsWith('[]');
    const name = array ? step.slice(0, -2) : step;
    if (!value || typeof value !== 'object' || !(name in value)) {
      problems.push(`${field}: missing`);
      return;
    }
    if (array) (value[name] || []).forEach((element) => check(element, rest, field, type));
    else check(value[name], rest, field, type);
  };
  Object.entries(entry.response).forEach(([field, type]) => check(sample, field.split('.'), field, type));
  return problems;
}

// ---- a document that keeps the contract ----

// An OpenAPI document written the way flask-smorest writes one (components, $ref, nullable, bearer),
// promising exactly what `contract` asks and nothing more: what a server's document must at least say.
const TYPES = { integer: { type: 'integer' }, string: { type: 'string', nullable: true }, boolean: { type: 'boolean' } };

function schemaFor(fields, name, components) {
  const tree = {};
  for (const [field, type] of Object.entries(fields)) {
    let node = tree;
    const steps = field.split('.');
    steps.forEach((step, i) => {
      const key = step.replace(/\[\]$/, '');
      node[key] = node[key] || { array: false, children: {}, type };
      node[key].array = node[key].array || step.endsWith('[]') || (i === steps.length - 1 && type === 'array');
      if (i < steps.length - 1) node = node[key].children;
    });
  }
  const build = (children, schemaName) => {
    const properties = {};
    for (const [key, node] of Object.entries(children)) {
      if (Object.keys(node.children).length) {
        const nested = `${schemaName}${key[0].toUpperCase()}${key.slice(1)}`;
        components[nested] = build(node.children, nested);
        const ref = { $ref: `#/components/schemas/${nested}` };
        properties[key] = node.array ? { type: 'array', items: ref } : ref;
      } else if (node.type === 'array') {
        properties[key] = { type: 'array', items: {} };
      } else {
        properties[key] = TYPES[node.type] || { type: node.type };
      }
    }
    return { type: 'object', properties, required: Object.keys(properties).sort(), additionalProperties: false };
  };
  components[name] = build(tree, name);
  return { $ref: `#/components/schemas/${name}` };
}

function documentFor(contract) {
  const schemas = {};
  const paths = {};
  contract.forEach((entry, i) => {
    const where = entry.path.replace(/\{\}/g, '{item_id}');
    const status = entry.status === '2xx' ? '204' : entry.status;
    const operation = {
      parameters: (entry.query || []).map((name) => ({ in: 'query', name, schema: { type: 'string' }, required: false })),
      responses: {
        [status]: status === '204' ? { description: 'No Content' } : { description: 'OK', content: { 'application/json': { schema: schemaFor(entry.response, `Answer${i}`, schemas) } } },
        404: { $ref: '#/components/responses/NOT_FOUND' },
      },
      security: [{ bearer: [] }],
    };
    if (entry.body) {
      schemas[`Body${i}`] = { type: 'object', properties: Object.fromEntries(entry.body.map((name) => [name, { type: 'boolean' }])) };
      operation.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/Body${i}` } } } };
    }
    paths[where] = { ...(paths[where] || {}), [entry.method]: operation, parameters: [{ in: 'path', name: 'item_id', required: true, schema: { type: 'integer' } }] };
  });
  return { openapi: '3.0.3', paths, components: { schemas, responses: { NOT_FOUND: { description: 'Not Found' } } } };
}

const contractFor = (method, path) => NEWS_CONTRACT.find((e) => e.method === method && e.path === path);

module.exports = { NEWS_CONTRACT, contractProblems, sampleProblems, contractFor, documentFor };
