// The phone's side of the 学习答题 contract (tests/quiz-contract.js), without a server: the fakes the page
// tests use answer in the contract's shapes, every call the pages make is an operation the contract
// lists, the check of an OpenAPI document finds what a server left out, and the pages are registered
// where the home page and 我的 open them. tests/quiz.contract.test.js runs the same check against a live
// server's /api/openapi.json.
const fs = require('fs');
const path = require('path');
const { QUIZ_CONTRACT, contractFor, quizContractProblems, sampleProblems, documentFor } = require('./quiz-contract');
const fakes = require('./quiz-fakes');
const quiz = require('../utils/quiz');

const APP = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'app.json'), 'utf8'));
const MP = path.join(__dirname, '..');

describe('the fakes answer as the contract says', () => {
  test.each([
    ['get', '/api/quizzes', fakes.QUIZZES],
    ['post', '/api/quizzes/{}/attempts', fakes.EXAM],
    ['post', '/api/quizzes/{}/attempts', fakes.CONTEST],
    ['get', '/api/attempts/{}', fakes.EXAM],
    ['get', '/api/attempts/{}', fakes.CONTEST],
    ['get', '/api/attempts/{}', fakes.PRACTICE],
    ['put', '/api/attempts/{}/items/{}', fakes.SAVED()],
    ['post', '/api/attempts/{}/submit', fakes.OUTCOME],
    ['get', '/api/attempts/{}/result', fakes.RESULT],
    ['get', '/api/attempts/{}/result', fakes.RESULT_HIDDEN],
    ['get', '/api/attempts/{}/result', fakes.RESULT_TIMEOUT],
    ['get', '/api/attempts/{}/result', fakes.CONTEST_RESULT],
    ['get', '/api/me/wrong-answers', fakes.WRONG_BOOK],
    ['post', '/api/me/wrong-answers/practice', fakes.PRACTICE],
    ['get', '/api/me/points', fakes.POINTS],
    ['get', '/api/me/points', fakes.POINTS_EMPTY],
    ['get', '/api/leaderboard', fakes.BOARD_BRANCH],
    ['get', '/api/leaderboard', fakes.BOARD_COMMITTEE],
    ['get', '/api/leaderboard', fakes.BOARD_MONTH_EMPTY],
    ['get', '/api/me/subscriptions', fakes.subscriptions(1)],
    ['get', '/api/home', fakes.HOME],
  ])('%s %s', (method, where, sample) => {
    expect(sampleProblems(sample, contractFor(method, where))).toEqual([]);
  });

  test('a sample missing a field or of another type is caught', () => {
    const { server_now: _, ...rest } = fakes.EXAM;
    const broken = { ...rest, items: [{ ...fakes.EXAM.items[0], position: '1' }] };
    expect(sampleProblems(broken, contractFor('get', '/api/attempts/{}'))).toEqual(['server_now: missing', 'items[].position: "1" is not integer']);
  });
});

// Every request a page makes, as the contract writes its path: ids as {}, without the query.
const operationOf = ([method, where]) => `${method.toLowerCase()} ${where.split('?')[0].replace(/\/\d+(?=\/|$)/g, '/{}')}`;

test('every call the pages make is an operation of the contract, with the query parameters it lists', async () => {
  const calls = [];
  const record = (api) => {
    calls.push(api.calls);
    return api;
  };
  const tap = (page, handler, dataset) => page[handler]({ currentTarget: { dataset } });

  const list = await fakes.openQuizzes({ api: record(fakes.fakeApi()) });
  await list.page.onSubscribe();
  const take = await fakes.openTake({ api: record(fakes.fakeApi()), wx: fakes.phone({ modalAnswers: [true] }) });
  await tap(take.page, 'onChoose', { index: 0 });
  await take.page.onSubmit();
  const resumed = await fakes.openTake({ api: record(fakes.fakeApi()), options: { attempt: String(fakes.EXAM_ATTEMPT_ID) } });
  resumed.page.onUnload();
  await fakes.openResult({ api: record(fakes.fakeApi()) });
  const book = await fakes.openWrongAnswers({ api: record(fakes.fakeApi()) });
  await book.page.onPractice();
  await fakes.openPoints({ api: record(fakes.fakeApi()) });
  const board = await fakes.openLeaderboard({ api: record(fakes.fakeApi()) });
  await tap(board.page, 'onScope', { key: 'committee' });
  await tap(board.page, 'onPeriod', { key: 'month' });

  const made = [...new Set(calls.flat().map(operationOf))].sort();
  const listed = QUIZ_CONTRACT.map((entry) => `${entry.method} ${entry.path}`);
  expect(made.filter((operation) => !listed.includes(operation))).toEqual([]);
  expect(made).toEqual(expect.arrayContaining(listed.filter((operation) => operation !== 'get /api/home')));
  const queries = calls.flat().filter(([, where]) => where.includes('?')).map(([, where]) => [...new URLSearchParams(where.split('?')[1]).keys()]);
  expect([...new Set(queries.flat())].sort()).toEqual(['period', 'scope']);
});

describe('an OpenAPI document held to the contract', () => {
  test('one that promises everything the phone reads passes', () => {
    expect(quizContractProblems(documentFor(QUIZ_CONTRACT))).toEqual([]);
  });

  test('a missing operation, query parameter, body field, status, field, requirement or type is named', () => {
    const doc = documentFor(QUIZ_CONTRACT);
    const schemas = doc.components.schemas;
    const at = (method, where) => QUIZ_CONTRACT.findIndex((e) => e.method === method && e.path === where);
    delete doc.paths['/api/me/wrong-answers'];
    doc.paths['/api/leaderboard'].get.parameters = [{ in: 'query', name: 'scope' }];
    delete schemas[`Body${at('put', '/api/attempts/{}/items/{}')}`].properties.ms_taken;
    const submit = doc.paths['/api/attempts/{p0}/submit'].post;
    submit.responses = { 409: submit.responses['204'] };
    delete schemas[`Answer${at('get', '/api/attempts/{}')}`].properties.server_now;
    const result = schemas[`Answer${at('get', '/api/attempts/{}/result')}`];
    result.required = result.required.filter((name) => name !== 'reveal');
    schemas[`Answer${at('get', '/api/attempts/{}/result')}Items`].properties.correct = { type: 'string' };
    doc.paths['/api/me/points'].get.security = [];
    expect(quizContractProblems(doc)).toEqual([
      'GET /api/attempts/{}: no field server_now',
      'PUT /api/attempts/{}/items/{}: no body field ms_taken',
      'POST /api/attempts/{}/submit: no 2xx answer',
      'GET /api/attempts/{}/result: reveal: not required',
      'GET /api/attempts/{}/result: items[].correct: not boolean ("string")',
      'GET /api/me/wrong-answers: not in the document',
      'GET /api/me/points: does not take the member session (bearer)',
      'GET /api/leaderboard: no query parameter period',
    ]);
  });

  test('nested schemas that may be null, and enums without a type, are read as flask-smorest writes them', () => {
    const doc = documentFor(QUIZ_CONTRACT);
    const board = QUIZ_CONTRACT.findIndex((e) => e.path === '/api/leaderboard');
    doc.components.schemas[`Answer${board}`].properties.me = { allOf: [{ $ref: `#/components/schemas/Answer${board}Me` }], nullable: true };
    const list = doc.components.schemas.Answer0Items.properties;
    list.state = { enum: ['upcoming', 'open', 'in_progress', 'done', 'closed'] };
    expect(quizContractProblems(doc)).toEqual([]);
    list.kind = { enum: [1, 2, 3] };
    expect(quizContractProblems(doc)).toEqual(['GET /api/quizzes: items[].kind: not string ([1,2,3])']);
  });
});

test('the pages are registered, and no tab is needed: 首页 and 我的 open the list', () => {
  const pages = [quiz.QUIZZES_PAGE, quiz.TAKE_PAGE, quiz.RESULT_PAGE, quiz.WRONG_ANSWERS_PAGE, quiz.POINTS_PAGE, quiz.LEADERBOARD_PAGE];
  expect(APP.pages).toEqual(expect.arrayContaining(pages.map((page) => page.slice(1))));
  expect(APP.tabBar.list.map((tab) => `/${tab.pagePath}`)).not.toContain(quiz.QUIZZES_PAGE);
  for (const page of pages) {
    for (const file of ['index.js', 'index.json', 'index.wxml', 'index.wxss', 'logic.js']) {
      expect(fs.existsSync(path.join(MP, page.slice(1).replace(/index$/, ''), file))).toBe(true);
    }
  }
});
