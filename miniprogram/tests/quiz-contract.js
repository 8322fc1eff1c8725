// What the phone's 学习答题 pages rely on from the member API (QUIZZES.md, the server's quizzes and points
// `api.py`): every path, query parameter and body field they send, and every field they read, with its
// type — checked by tests/openapi-check.js. Fields beyond QUIZZES.md's sketch are marked "(beyond
// QUIZZES.md)": the server has them, and the pages read them.
//
// Used by tests/quiz.contract.test.js against a live server's /api/openapi.json, and by
// tests/quiz-openapi.test.js (always run) to check that the fakes the page tests use say the same.
const { contractProblems, sampleProblems, documentFor } = require('./openapi-check');

// An attempt as the server hands it out to take: POST …/attempts, GET /api/attempts/<id>, and the
// practice round from the 错题本. Never the answer key nor the explanation (the phone reads none).
const ATTEMPT = {
  attempt_id: 'integer',
  deadline_at: 'string',
  server_now: 'string',
  items: 'array',
  'items[].position': 'integer',
  'items[].question_id': 'integer',
  'items[].kind': 'string',
  'items[].stem': 'string',
  'items[].options': 'array',
  'items[].given': 'array',
  // beyond QUIZZES.md: the title on top, the kind (竞答 runs per question), submitted elsewhere → the
  // result, the time limit (untimed practice shows no countdown), and a contest question's own deadline
  title: 'string',
  kind: 'string',
  status: 'string',
  time_limit_s: 'integer',
  per_question_s: 'integer',
  'items[].deadline_at': 'string',
};

const QUIZ_CONTRACT = [
  {
    method: 'get',
    path: '/api/quizzes',
    status: '200',
    response: {
      items: 'array',
      'items[].id': 'integer',
      'items[].kind': 'string',
      'items[].title': 'string',
      'items[].opens_at': 'string',
      'items[].closes_at': 'string',
      'items[].time_limit_s': 'integer',
      'items[].question_count': 'integer',
      'items[].attempts_left': 'integer',
      'items[].state': 'string',
      'items[].best_score': 'integer',
      'items[].pass_mark': 'integer',
      'items[].per_question_s': 'integer', // beyond QUIZZES.md: 每题限时 on a contest
    },
  },
  { method: 'post', path: '/api/quizzes/{}/attempts', status: '2xx', response: ATTEMPT },
  { method: 'get', path: '/api/attempts/{}', status: '200', response: ATTEMPT },
  {
    method: 'put',
    path: '/api/attempts/{}/items/{}',
    // question_id (beyond QUIZZES.md): the server checks the answer is for the question on screen
    body: ['given', 'ms_taken', 'question_id'],
    status: '200',
    response: { answered_at: 'string' },
  },
  // the phone reads nothing of this answer: it opens the result page, which reads the result
  { method: 'post', path: '/api/attempts/{}/submit', status: '2xx', response: {} },
  {
    method: 'get',
    path: '/api/attempts/{}/result',
    status: '200',
    response: {
      score: 'integer',
      passed: 'boolean',
      correct: 'integer',
      total: 'integer',
      points_awarded: 'integer',
      reveal: 'boolean',
      items: 'array',
      // beyond QUIZZES.md: what the result page says of the attempt, and each question as revealed
      quiz_id: 'integer',
      title: 'string',
      kind: 'string',
      submitted_at: 'string',
      closed_by: 'string',
      'items[].position': 'integer',
      'items[].kind': 'string',
      'items[].stem': 'string',
      'items[].options': 'array',
      'items[].given': 'array',
      'items[].answer': 'array',
      'items[].correct': 'boolean',
      'items[].explanation': 'string',
    },
  },
  {
    method: 'get',
    path: '/api/me/wrong-answers',
    status: '200',
    // beyond QUIZZES.md, which names the path only
    response: {
      total: 'integer',
      items: 'array',
      'items[].question_id': 'integer',
      'items[].kind': 'string',
      'items[].stem': 'string',
      'items[].options': 'array',
      'items[].times_wrong': 'integer',
      'items[].last_wrong_at': 'string',
    },
  },
  { method: 'post', path: '/api/me/wrong-answers/practice', body: ['count'], status: '2xx', response: { attempt_id: 'integer' } },
  {
    method: 'get',
    path: '/api/me/points',
    status: '200',
    response: {
      total: 'integer',
      today: 'integer',
      'by_source.practice': 'integer',
      'by_source.exam': 'integer',
      'by_source.contest': 'integer',
      'by_source.reading': 'integer',
      recent: 'array',
      'recent[].source': 'string',
      'recent[].points': 'integer',
      'recent[].created_at': 'string',
      // beyond QUIZZES.md: today's share of each source's daily cap, and what earned an entry
      'today_by_source.practice': 'integer',
      'today_by_source.exam': 'integer',
      'today_by_source.contest': 'integer',
      'today_by_source.reading': 'integer',
      'daily_caps.practice': 'integer',
      'daily_caps.exam': 'integer',
      'daily_caps.contest': 'integer',
      'daily_caps.reading': 'integer',
      'recent[].note': 'string',
    },
  },
  {
    method: 'get',
    path: '/api/leaderboard',
    query: ['scope', 'period'],
    status: '200',
    response: {
      items: 'array',
      'items[].rank': 'integer',
      'items[].name': 'string',
      'items[].org_name': 'string',
      'items[].points': 'integer',
      'me.rank': 'integer',
      'me.points': 'integer',
      org_name: 'string', // beyond QUIZZES.md: whose board, in its title
    },
  },
  // 答题提醒 (utils/subscribe.js and the line beside the button)
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
  // read from the copy the home page keeps: whether 学习 is offered (我的), my name (积分榜), the newspaper
  // (我的积分's 阅读手机报). The home card's `open_quizzes` is shown only when sent, so it is not here.
  { method: 'get', path: '/api/home', status: '200', response: { features: 'array', member_name: 'string' } },
];

const contractFor = (method, path) => QUIZ_CONTRACT.find((e) => e.method === method && e.path === path);
const quizContractProblems = (document) => contractProblems(document, QUIZ_CONTRACT);

module.exports = { QUIZ_CONTRACT, contractFor, quizContractProblems, sampleProblems, documentFor };
