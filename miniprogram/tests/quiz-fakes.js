// A fake server, phone and clock for the 学习答题 pages' tests: the answers the server gives (the shapes
// tests/quiz-contract.js lists, which tests/quiz-openapi.test.js holds these to), WeChat's dialogs, and a
// clock with timers the test moves by hand.
const { createFakeWx, mountPage } = require('./fake-wx');
const { ApiError } = require('../utils/api');

const NOW = new Date('2026-11-24T04:00:00Z'); // 12:00 in Beijing
const at = (iso) => `${iso}+00:00`;

// ---- the quiz list ----

const quiz = (id, kind, title, extra) => ({
  id,
  kind,
  title,
  description: '',
  opens_at: at('2026-11-20T00:00:00'),
  closes_at: null,
  time_limit_s: null,
  per_question_s: null,
  question_count: 10,
  attempts_allowed: null,
  attempts_left: null,
  state: 'open',
  best_score: null,
  pass_mark: null,
  ...extra,
});

const EXAM_ID = 21;
const CONTEST_ID = 23;

const QUIZZES = {
  items: [
    quiz(EXAM_ID, 'exam', '2026年度党章党规知识考试', {
      opens_at: at('2026-11-24T00:00:00'),
      closes_at: at('2026-11-30T10:00:00'),
      time_limit_s: 1800,
      question_count: 8,
      attempts_allowed: 1,
      attempts_left: 0,
      state: 'in_progress',
      pass_mark: 60,
    }),
    quiz(12, 'practice', '每日练习：党章学习', { question_count: 10, best_score: 90 }),
    quiz(22, 'exam', '《中国共产党纪律处分条例》专题测试', {
      closes_at: at('2026-11-28T10:00:00'),
      time_limit_s: 1200,
      question_count: 15,
      attempts_allowed: 2,
      attempts_left: 2,
      pass_mark: 80,
    }),
    quiz(CONTEST_ID, 'contest', '“七一”党史知识竞答', {
      closes_at: at('2026-11-24T12:00:00'),
      per_question_s: 20,
      question_count: 5,
      attempts_allowed: 1,
      attempts_left: 1,
    }),
    quiz(24, 'exam', '第四季度理论学习测试', {
      opens_at: at('2026-12-01T01:00:00'),
      closes_at: at('2026-12-07T10:00:00'),
      time_limit_s: 2700,
      question_count: 30,
      attempts_allowed: 1,
      attempts_left: 1,
      state: 'upcoming',
      pass_mark: 60,
    }),
    quiz(18, 'exam', '党的二十大精神学习测试', {
      closes_at: at('2026-11-10T10:00:00'),
      time_limit_s: 1800,
      question_count: 20,
      attempts_allowed: 1,
      attempts_left: 0,
      state: 'done',
      best_score: 86,
      pass_mark: 60,
    }),
    quiz(15, 'contest', '国庆党史知识竞答', {
      closes_at: at('2026-10-08T10:00:00'),
      per_question_s: 20,
      question_count: 10,
      attempts_allowed: 1,
      attempts_left: 1,
      state: 'closed',
    }),
  ],
};
const QUIZZES_EMPTY = { items: [] };

// ---- an exam paper: eight questions on the Party Constitution, the first two answered ----

const EXAM_QUESTIONS = [
  {
    kind: 'single',
    stem: '党的最高领导机关是（ ）。',
    options: ['党的全国代表大会和它所产生的中央委员会', '中央政治局', '中央政治局常务委员会', '中央书记处'],
    answer: [0],
    explanation: '党章第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。',
  },
  {
    kind: 'single',
    stem: '预备党员的预备期为（ ）。',
    options: ['半年', '一年', '两年', '三年'],
    answer: [1],
    explanation: '党章第七条：预备党员的预备期为一年。',
  },
  {
    kind: 'multiple',
    stem: '党的纪律主要包括（ ）。',
    options: ['政治纪律', '组织纪律', '廉洁纪律', '群众纪律'],
    answer: [0, 1, 2, 3],
    explanation: '党章第四十条：党的纪律主要包括政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律。',
  },
  {
    kind: 'true_false',
    stem: '党员如果没有正当理由，连续六个月不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。',
    options: [],
    answer: [0],
    explanation: '党章第九条的规定。支部大会应当决定把这样的党员除名，并报上级党组织批准。',
  },
  {
    kind: 'single',
    stem: '企业、农村、机关等基层单位，凡是有正式党员（ ）人以上的，都应当成立党的基层组织。',
    options: ['三', '五', '七', '十'],
    answer: [0],
    explanation: '党章第三十条。',
  },
  {
    kind: 'multiple',
    stem: '“三会一课”中的“三会”是指（ ）。',
    options: ['支部党员大会', '支部委员会', '党小组会', '民主生活会'],
    answer: [0, 1, 2],
    explanation: '“三会”是支部党员大会、支部委员会和党小组会，“一课”是党课。',
  },
  {
    kind: 'true_false',
    stem: '党员有权在党的会议上和党报党刊上，参加关于党的政策问题的讨论。',
    options: [],
    answer: [0],
    explanation: '党章第四条规定的党员权利。',
  },
  {
    kind: 'single',
    stem: '在职党员每月工资收入（税后）在 3000 元以下（含 3000 元）的，交纳月工资收入的（ ）。',
    options: ['0.5%', '1%', '1.5%', '2%'],
    answer: [0],
    explanation: '《关于中国共产党党费收缴、使用和管理的规定》：3000 元以下（含 3000 元）者交纳 0.5%。',
  },
];

const paperItem = (question, index, extra = {}) => ({
  position: index + 1,
  question_id: 500 + index,
  kind: question.kind,
  stem: question.stem,
  options: question.options,
  given: null,
  deadline_at: null,
  ...extra,
});

const EXAM_ATTEMPT_ID = 301;
const EXAM = {
  attempt_id: EXAM_ATTEMPT_ID,
  quiz_id: EXAM_ID,
  title: '2026年度党章党规知识考试',
  kind: 'exam',
  number: 1,
  status: 'in_progress',
  started_at: at('2026-11-24T03:50:00'),
  deadline_at: at('2026-11-24T04:20:00'),
  server_now: at('2026-11-24T04:00:00'),
  time_limit_s: 1800,
  per_question_s: null,
  items: EXAM_QUESTIONS.map((question, index) => paperItem(question, index, { given: index === 0 ? [0] : index === 1 ? [1] : null })),
};

// The same attempt read again `seconds` later, with `given` ({position: [...]}) as the server holds it.
function examLater(seconds, given = {}) {
  const serverNow = new Date(NOW.getTime() + seconds * 1000).toISOString().replace('Z', '+00:00').replace('.000', '');
  return {
    ...EXAM,
    server_now: serverNow,
    items: EXAM.items.map((item) => (item.position in given ? { ...item, given: given[item.position] } : item)),
  };
}

// ---- a contest: five questions of party history, 20 seconds each ----

const CONTEST_QUESTIONS = [
  { kind: 'single', stem: '中国共产党第一次全国代表大会于哪一年召开？', options: ['1919年', '1921年', '1927年', '1949年'], answer: [1], explanation: '1921年7月，中共一大在上海召开。' },
  { kind: 'true_false', stem: '遵义会议确立了毛泽东同志在党中央和红军的领导地位。', options: [], answer: [0], explanation: '1935年1月的遵义会议是党的历史上一个生死攸关的转折点。' },
  { kind: 'single', stem: '中共一大最后一天的会议转移到了哪里举行？', options: ['上海法租界', '浙江嘉兴南湖', '江西南昌', '湖南长沙'], answer: [1], explanation: '会议最后一天转移到浙江嘉兴南湖的一条游船上举行。' },
  { kind: 'multiple', stem: '长征途中召开的重要会议有（ ）。', options: ['遵义会议', '通道会议', '黎平会议', '古田会议'], answer: [0, 1, 2], explanation: '古田会议于1929年召开，在长征之前。' },
  { kind: 'single', stem: '党的十一届三中全会于哪一年召开？', options: ['1976年', '1978年', '1982年', '1992年'], answer: [1], explanation: '1978年12月，党的十一届三中全会召开。' },
];

const CONTEST_ATTEMPT_ID = 401;
const CONTEST_STARTED = new Date('2026-11-24T03:59:50Z');
const plusSeconds = (base, seconds) => new Date(base.getTime() + seconds * 1000).toISOString().replace('.000Z', '+00:00');
const CONTEST = {
  attempt_id: CONTEST_ATTEMPT_ID,
  quiz_id: CONTEST_ID,
  title: '“七一”党史知识竞答',
  kind: 'contest',
  number: 1,
  status: 'in_progress',
  started_at: plusSeconds(CONTEST_STARTED, 0),
  deadline_at: plusSeconds(CONTEST_STARTED, 100),
  server_now: at('2026-11-24T04:00:00'),
  time_limit_s: null,
  per_question_s: 20,
  // each question in its own window, as the server lays them out while none is answered
  items: CONTEST_QUESTIONS.map((question, index) => paperItem(question, index, { question_id: 700 + index, deadline_at: plusSeconds(CONTEST_STARTED, 20 * (index + 1)) })),
};

// ---- a practice round from the 错题本 (untimed: the server still closes it after a day) ----

const PRACTICE_ATTEMPT_ID = 350;
const PRACTICE = {
  ...EXAM,
  attempt_id: PRACTICE_ATTEMPT_ID,
  quiz_id: null,
  title: '错题练习',
  kind: 'practice',
  deadline_at: at('2026-11-25T04:00:00'),
  time_limit_s: null,
  items: EXAM.items.slice(2, 5).map((item, index) => ({ ...item, position: index + 1, given: null })),
};

// ---- results ----

const EXAM_GIVEN = [[0], [1], [0, 1, 2], [0], [1], [0, 1, 2], [0], null];

const OUTCOME = { attempt_id: EXAM_ATTEMPT_ID, score: 63, passed: true, correct: 5, total: 8, points_awarded: 5, reveal: true };

const RESULT = {
  ...OUTCOME,
  quiz_id: EXAM_ID,
  title: '2026年度党章党规知识考试',
  kind: 'exam',
  number: 1,
  submitted_at: at('2026-11-24T04:12:00'),
  closed_by: 'member',
  items: EXAM_QUESTIONS.map((question, index) => {
    const given = EXAM_GIVEN[index];
    const correct = Boolean(given) && given.join() === question.answer.join();
    return { ...paperItem(question, index, { given }), answer: question.answer, correct, explanation: question.explanation };
  }),
};
const RESULT_HIDDEN = { ...RESULT, reveal: false, items: [] };
const RESULT_TIMEOUT = { ...RESULT_HIDDEN, score: 50, passed: false, correct: 4, points_awarded: 0, closed_by: 'timeout', submitted_at: at('2026-11-24T04:20:00') };
const CONTEST_RESULT = {
  attempt_id: CONTEST_ATTEMPT_ID,
  score: 84,
  passed: null,
  correct: 4,
  total: 5,
  points_awarded: 6,
  reveal: true,
  quiz_id: CONTEST_ID,
  title: '“七一”党史知识竞答',
  kind: 'contest',
  number: 1,
  submitted_at: at('2026-11-24T04:01:20'),
  closed_by: 'member',
  items: CONTEST_QUESTIONS.map((question, index) => {
    const given = index === 3 ? [0, 1] : question.answer;
    return { ...paperItem(question, index, { given }), answer: question.answer, correct: index !== 3, explanation: question.explanation };
  }),
};

// ---- 错题本, 我的积分, 积分榜 ----

const WRONG_BOOK = {
  total: 3,
  items: [
    { question_id: 502, kind: 'multiple', stem: EXAM_QUESTIONS[2].stem, options: EXAM_QUESTIONS[2].options, times_wrong: 2, last_wrong_at: at('2026-11-24T03:12:00') },
    { question_id: 504, kind: 'single', stem: EXAM_QUESTIONS[4].stem, options: EXAM_QUESTIONS[4].options, times_wrong: 1, last_wrong_at: at('2026-11-23T10:05:00') },
    { question_id: 611, kind: 'true_false', stem: '党的基层组织是党在社会基层组织中的战斗堡垒，是党的全部工作和战斗力的基础。', options: [], times_wrong: 1, last_wrong_at: at('2026-11-02T01:00:00') },
  ],
};
const WRONG_BOOK_EMPTY = { total: 0, items: [] };

const POINTS = {
  total: 128,
  today: 6,
  by_source: { practice: 46, exam: 60, contest: 12, reading: 10 },
  today_by_source: { practice: 5, exam: 0, contest: 0, reading: 1 },
  daily_caps: { practice: 5, exam: null, contest: 6, reading: 6 },
  recent: [
    { source: 'practice', label: '每日练习', note: '每日练习：党章学习', points: 5, earned_on: '2026-11-24', created_at: at('2026-11-24T03:20:00') },
    { source: 'reading', label: '阅读手机报', note: '冬季防寒过冬专项部署：确保线路设备安全稳定', points: 1, earned_on: '2026-11-24', created_at: at('2026-11-24T01:40:00') },
    { source: 'exam', label: '考试', note: '党的二十大精神学习测试', points: 10, earned_on: '2026-11-10', created_at: at('2026-11-10T02:30:00') },
    { source: 'contest', label: '竞答', note: '国庆党史知识竞答', points: 6, earned_on: '2026-10-05', created_at: at('2026-10-05T07:00:00') },
  ],
};
const POINTS_EMPTY = {
  total: 0,
  today: 0,
  by_source: { practice: 0, exam: 0, contest: 0, reading: 0 },
  today_by_source: { practice: 0, exam: 0, contest: 0, reading: 0 },
  daily_caps: { practice: 5, exam: null, contest: 6, reading: 6 },
  recent: [],
};

const standing = (rank, name, points, orgName = '甲一支部') => ({ rank, name, org_name: orgName, points, is_me: name === '张三' });
const BOARD_BRANCH = {
  scope: 'branch',
  period: 'all',
  org_name: '甲一支部',
  items: [standing(1, '李红', 236), standing(2, '王建国', 198), standing(3, '赵敏', 175), standing(4, '刘洋', 128), standing(4, '张三', 128), standing(6, '陈静', 96), standing(7, '孙立', 64)],
  me: { rank: 4, points: 128 },
};
const BOARD_COMMITTEE = {
  scope: 'committee',
  period: 'all',
  org_name: '中建某局党委',
  items: [
    standing(1, '周志强', 412, '机关第二支部'),
    standing(2, '吴晓梅', 388, '项目部第一支部'),
    standing(3, '郑伟', 350, '机关第一支部'),
    standing(4, '李红', 236, '甲一支部'),
    standing(5, '冯雪', 230, '离退休支部'),
  ],
  me: { rank: 37, points: 128 },
};
const BOARD_MONTH_EMPTY = { scope: 'branch', period: 'month', org_name: '甲一支部', items: [], me: { rank: null, points: 0 } };

const HOME = { member_name: '张三', branch_name: '甲一支部', features: ['meetings', 'study', 'newspaper'], next_meeting: null, todos: [] };

const subscriptions = (remaining, extra = {}) => ({
  subscriptions: [
    { purpose: 'meeting_reminder', title: '会议提醒', template_id: 'demo_meeting_reminder', remaining: 1, status_label: '还可提醒 1 次', last_choice: 'accept', last_choice_at: null, refused_at: null },
    {
      purpose: 'quiz_open',
      title: '答题开始提醒',
      template_id: 'demo_quiz_open',
      remaining,
      status_label: remaining > 0 ? `还可提醒 ${remaining} 次` : '未开启',
      last_choice: remaining > 0 ? 'accept' : null,
      last_choice_at: remaining > 0 ? at('2026-11-20T02:00:00') : null,
      refused_at: null,
      ...extra,
    },
  ],
});

const SAVED = (answeredAt = at('2026-11-24T04:00:05')) => ({ saved: true, answered_at: answeredAt });

const refusal = (status, code, message) => new ApiError(status, code, message);
const notFound = () => refusal(404, 'not_found', '没有找到');

// A fake server. Each method answers by path (the whole path, else without its query): a value, an Error
// (rejected), or a function of (path, body) returning either. Every call is kept in `calls`.
function fakeApi({ get = {}, post = {}, put = null, cached = {}, member = null } = {}) {
  const gets = {
    '/api/quizzes': QUIZZES,
    '/api/me/subscriptions': subscriptions(0),
    [`/api/attempts/${EXAM_ATTEMPT_ID}`]: EXAM,
    [`/api/attempts/${CONTEST_ATTEMPT_ID}`]: CONTEST,
    [`/api/attempts/${PRACTICE_ATTEMPT_ID}`]: PRACTICE,
    [`/api/attempts/${EXAM_ATTEMPT_ID}/result`]: RESULT,
    [`/api/attempts/${CONTEST_ATTEMPT_ID}/result`]: CONTEST_RESULT,
    '/api/me/wrong-answers': WRONG_BOOK,
    '/api/me/points': POINTS,
    '/api/leaderboard?scope=branch&period=all': BOARD_BRANCH,
    '/api/leaderboard?scope=committee&period=all': BOARD_COMMITTEE,
    '/api/leaderboard?scope=branch&period=month': BOARD_MONTH_EMPTY,
    ...get,
  };
  const posts = {
    [`/api/quizzes/${EXAM_ID}/attempts`]: EXAM,
    [`/api/quizzes/${CONTEST_ID}/attempts`]: CONTEST,
    [`/api/attempts/${EXAM_ATTEMPT_ID}/submit`]: OUTCOME,
    [`/api/attempts/${CONTEST_ATTEMPT_ID}/submit`]: { ...OUTCOME, attempt_id: CONTEST_ATTEMPT_ID },
    [`/api/attempts/${PRACTICE_ATTEMPT_ID}/submit`]: { ...OUTCOME, attempt_id: PRACTICE_ATTEMPT_ID },
    '/api/me/wrong-answers/practice': PRACTICE,
    '/api/me/subscriptions': subscriptions(1),
    ...post,
  };
  const settle = (answer, path, body) => {
    const value = typeof answer === 'function' ? answer(path, body) : answer;
    if (value instanceof Error) return Promise.reject(value);
    return value === undefined ? Promise.reject(notFound()) : Promise.resolve(value);
  };
  const find = (answers, path) => (path in answers ? answers[path] : answers[path.split('?')[0]]);
  const api = {
    calls: [],
    get: jest.fn((path, options) => {
      api.calls.push(['GET', path, undefined, options]);
      return settle(find(gets, path), path);
    }),
    post: jest.fn((path, body, options) => {
      api.calls.push(['POST', path, body, options]);
      const answer = settle(find(posts, path), path, body);
      // the member's choice is what the server counts from now on
      if (path === '/api/me/subscriptions' && !('/api/me/subscriptions' in get)) answer.then((counted) => (gets[path] = counted), () => {});
      return answer;
    }),
    // every answer saved unless told otherwise
    put: jest.fn((path, body, options) => {
      api.calls.push(['PUT', path, body, options]);
      return settle(put || SAVED(), path, body);
    }),
    cached: jest.fn((path) => (path in cached ? cached[path] : null)),
    member: jest.fn(() => member),
  };
  api.puts = () => api.calls.filter((call) => call[0] === 'PUT').map(([, path, body]) => [path.replace(/^\/api\/attempts\//, ''), body]);
  return api;
}

// The phone: pages it opened, the questions it asked (answered from `modalAnswers`, else no), the
// subscribe dialog, and the warning before leaving a quiz.
function phone({ modalAnswers = [], subscribeAnswer = 'accept' } = {}) {
  const wx = createFakeWx({ handler: () => ({}), modalAnswers });
  Object.assign(wx, {
    navigated: [],
    redirected: [],
    backs: 0,
    subscribeAsked: [],
    leaveWarning: null,
    navigateTo: ({ url }) => wx.navigated.push(url),
    redirectTo: ({ url }) => wx.redirected.push(url),
    navigateBack: () => {
      wx.backs += 1;
    },
    requestSubscribeMessage(options) {
      wx.subscribeAsked.push(options.tmplIds);
      if (subscribeAnswer === 'fail') options.fail({ errMsg: 'requestSubscribeMessage:fail cancel' });
      else options.success({ errMsg: 'requestSubscribeMessage:ok', [options.tmplIds[0]]: subscribeAnswer });
    },
    enableAlertBeforeUnload: ({ message }) => {
      wx.leaveWarning = message;
    },
    disableAlertBeforeUnload: () => {
      wx.leaveWarning = null;
    },
  });
  return wx;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

// The phone's clock and its timers, moved by the test: `advance(ms)` fires every timer falling due on the
// way, in order, letting the page's promises settle after each. `t` is the phone's own time, which the
// test may set far from the server's.
function fakeTime(start = NOW.getTime()) {
  const time = {
    t: start,
    pending: [],
    now: () => time.t,
    timers: {
      setTimeout(fn, ms) {
        const handle = { fn, due: time.t + Math.max(0, ms) };
        time.pending.push(handle);
        return handle;
      },
      clearTimeout(handle) {
        time.pending = time.pending.filter((h) => h !== handle);
      },
    },
    async advance(ms) {
      const end = time.t + ms;
      for (;;) {
        const due = time.pending.filter((h) => h.due <= end).sort((a, b) => a.due - b.due)[0];
        if (!due) break;
        time.pending = time.pending.filter((h) => h !== due);
        time.t = due.due;
        due.fn();
        await flush();
      }
      time.t = end;
      await flush();
    },
  };
  return time;
}

async function openQuizzes({ api = fakeApi(), wx = phone(), now = NOW } = {}) {
  const { createQuizzesPage } = require('../pages/quizzes/logic');
  const page = mountPage(createQuizzesPage({ api, wx, now: () => now }));
  await page.onShow();
  return { page, api, wx };
}

async function openTake({ api = fakeApi(), wx = phone(), time = fakeTime(), options = { quiz: String(EXAM_ID) } } = {}) {
  const { createQuizTakePage } = require('../pages/quiz-take/logic');
  const page = mountPage(createQuizTakePage({ api, wx, timers: time.timers, now: time.now }));
  await page.onLoad(options);
  await flush();
  return { page, api, wx, time };
}

async function openResult({ api = fakeApi(), wx = phone(), options = { attempt: String(EXAM_ATTEMPT_ID) } } = {}) {
  const { createQuizResultPage } = require('../pages/quiz-result/logic');
  const page = mountPage(createQuizResultPage({ api, wx, now: () => NOW }));
  await page.onLoad(options);
  return { page, api, wx };
}

async function openWrongAnswers({ api = fakeApi(), wx = phone() } = {}) {
  const { createWrongAnswersPage } = require('../pages/wrong-answers/logic');
  const page = mountPage(createWrongAnswersPage({ api, wx, now: () => NOW }));
  await page.onShow();
  return { page, api, wx };
}

async function openPoints({ api = fakeApi({ cached: { '/api/home': HOME } }), wx = phone() } = {}) {
  const { createPointsPage } = require('../pages/points/logic');
  const page = mountPage(createPointsPage({ api, wx, now: () => NOW }));
  await page.onShow();
  return { page, api, wx };
}

async function openLeaderboard({ api = fakeApi({ cached: { '/api/home': HOME } }), wx = phone(), options = {} } = {}) {
  const { createLeaderboardPage } = require('../pages/leaderboard/logic');
  const page = mountPage(createLeaderboardPage({ api, wx }));
  await page.onLoad(options);
  return { page, api, wx };
}

module.exports = {
  NOW,
  EXAM_ID,
  CONTEST_ID,
  QUIZZES,
  QUIZZES_EMPTY,
  EXAM_QUESTIONS,
  EXAM_ATTEMPT_ID,
  EXAM,
  examLater,
  CONTEST_ATTEMPT_ID,
  CONTEST,
  PRACTICE_ATTEMPT_ID,
  PRACTICE,
  OUTCOME,
  RESULT,
  RESULT_HIDDEN,
  RESULT_TIMEOUT,
  CONTEST_RESULT,
  WRONG_BOOK,
  WRONG_BOOK_EMPTY,
  POINTS,
  POINTS_EMPTY,
  BOARD_BRANCH,
  BOARD_COMMITTEE,
  BOARD_MONTH_EMPTY,
  HOME,
  SAVED,
  subscriptions,
  refusal,
  fakeApi,
  phone,
  flush,
  fakeTime,
  openQuizzes,
  openTake,
  openResult,
  openWrongAnswers,
  openPoints,
  openLeaderboard,
};
