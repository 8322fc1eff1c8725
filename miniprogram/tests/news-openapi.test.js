// The phone's side of the 手机报 contract (tests/news-contract.js), without a server: the fakes the page
// tests use answer in the contract's shapes, the check of an OpenAPI document finds what a server left
// out, and the 消息 tab is where the pages say it is. tests/news.contract.test.js runs the same check
// against a live server's /api/openapi.json.
const fs = require('fs');
const path = require('path');
const { NEWS_CONTRACT, contractProblems, sampleProblems, contractFor, documentFor } = require('./news-contract');
const fakes = require('./news-fakes');
const { INBOX_PAGE, INBOX_TAB_INDEX } = require('../utils/inbox');
const { TAB_PAGES } = require('../pages/home/logic');

const APP = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'app.json'), 'utf8'));

describe('the fakes answer as the contract says', () => {
  test.each([
    ['get', '/api/inbox', fakes.INBOX],
    ['get', '/api/inbox', fakes.INBOX_MORE],
    ['get', '/api/inbox', fakes.INBOX_EMPTY],
    ['get', '/api/inbox/unread', fakes.UNREAD],
    ['get', '/api/newspaper/issues/{}', fakes.ISSUE],
    ['get', '/api/newspaper/articles/{}', fakes.ARTICLE],
    ['post', '/api/newspaper/articles/{}/like', fakes.LIKED],
    ['post', '/api/newspaper/articles/{}/share', fakes.SHARED],
    ['get', '/api/me/subscriptions', fakes.subscriptions(1)],
  ])('%s %s', (method, where, sample) => {
    expect(sampleProblems(sample, contractFor(method, where))).toEqual([]);
  });

  test('a sample missing a field or of another type is caught', () => {
    const { unread, ...rest } = fakes.INBOX;
    expect(sampleProblems({ ...rest, items: [{ ...fakes.INBOX.items[0], ref_id: '12' }] }, contractFor('get', '/api/inbox'))).toEqual([
      'items[].ref_id: "12" is not integer',
      'unread: missing',
    ]);
  });
});

describe('an OpenAPI document held to the contract', () => {
  test('one that promises everything the phone reads passes', () => {
    expect(contractProblems(documentFor(NEWS_CONTRACT))).toEqual([]);
  });

  test('a missing operation, query parameter, body field, status, field, requirement or type is named', () => {
    const doc = documentFor(NEWS_CONTRACT);
    const schemas = doc.components.schemas;
    delete doc.paths['/api/inbox/unread'];
    doc.paths['/api/inbox'].get.parameters = [{ in: 'query', name: 'limit' }];
    schemas.Body5.properties = {};
    doc.paths['/api/newspaper/articles/{item_id}/share'].post.responses = { 201: doc.paths['/api/newspaper/articles/{item_id}/share'].post.responses['200'] };
    delete schemas.Answer3.properties.share_path;
    schemas.Answer2.required = schemas.Answer2.required.filter((name) => name !== 'number');
    schemas.Answer2Articles.properties.liked = { type: 'string' };
    doc.paths['/api/newspaper/articles/{item_id}/finish'].post.security = [];
    expect(contractProblems(doc)).toEqual([
      'GET /api/inbox: no query parameter cursor',
      'GET /api/inbox/unread: not in the document',
      'GET /api/newspaper/issues/{}: number: not required',
      'GET /api/newspaper/issues/{}: articles[].liked: not boolean ("string")',
      'GET /api/newspaper/articles/{}: no field share_path',
      'POST /api/newspaper/articles/{}/finish: does not take the member session (bearer)',
      'POST /api/newspaper/articles/{}/like: no body field liked',
      'POST /api/newspaper/articles/{}/share: no 200 answer',
    ]);
  });

  test('a nested schema that may be null (allOf with nullable) is followed', () => {
    const doc = documentFor(NEWS_CONTRACT);
    const props = doc.components.schemas.Answer0.properties;
    props.items = { type: 'array', items: { allOf: [{ $ref: '#/components/schemas/Answer0Items' }], nullable: true } };
    expect(contractProblems(doc)).toEqual([]);
  });

  test('an enum without a type (marshmallow Enum by value) is read by its values', () => {
    const doc = documentFor(NEWS_CONTRACT);
    doc.components.schemas.Answer0Items.properties.kind = { enum: ['newspaper', 'notice'] };
    expect(contractProblems(doc)).toEqual([]);
    doc.components.schemas.Answer0Items.properties.kind = { enum: [1, 2] };
    expect(contractProblems(doc)).toEqual(['GET /api/inbox: items[].kind: not string ([1,2])']);
  });
});

test('the 消息 tab is where the badge and the home page look for it', () => {
  const tabs = APP.tabBar.list.map((tab) => `/${tab.pagePath}`);
  expect(tabs[INBOX_TAB_INDEX]).toBe(INBOX_PAGE);
  expect(APP.tabBar.list[INBOX_TAB_INDEX].text).toBe('消息');
  expect(tabs.length).toBeLessThanOrEqual(5); // WeChat's limit
  for (const page of TAB_PAGES) expect(tabs).toContain(page);
  expect(APP.pages).toEqual(expect.arrayContaining(['pages/inbox/index', 'pages/news-issue/index', 'pages/news-article/index']));
});
