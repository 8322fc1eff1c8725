/**
 * @jest-environment node
 *
 * 学习答题 against a live server: the OpenAPI document holds everything the phone reads
 * (tests/quiz-contract.js), and a member takes an exam through the mini-program's own client and page
 * logic — loses the connection half-way, WeChat closes the page, comes back, resumes, submits and sees
 * the score, the points and the leaderboard — with wx.login, the phone number and the subscribe dialog
 * answered by the WeChat emulator's simulated phone.
 *
 * Started by tests/quizzes/test_quiz_pages_end_to_end.py with `-t ^<phase>`:
 *   "the document"          CONTRACT_SERVER only.
 *   "the exam"              the driver has published an exam (a time limit of some minutes, one attempt,
 *                           answers revealed on submission) to the member's branch; the member binds,
 *                           taps 开启提醒 on the list, and takes it as above. The driver then checks on the
 *                           server: the attempt submitted by the member with all but one question answered,
 *                           the answers the phone kept while offline among them, points credited and the
 *                           member on their branch's board.
 *   "the wrong-answer book" the member practises the questions they missed and sees the explanations.
 * Environment: CONTRACT_SERVER, CONTRACT_EMULATOR, CONTRACT_TEMPLATES ({"quiz_open": id}),
 * CONTRACT_QUIZ ({"member": {user, phone, name}, "exam": {id, title, question_count}}).
 */
jest.mock('../config', () => ({
  apiBase: process.env.CONTRACT_SERVER,
  subscribeTemplates: JSON.parse(process.env.CONTRACT_TEMPLATES || '{}'),
}));

const { createClient } = require('../utils/api');
const { keyFor } = require('../utils/quiz-answers');
const { createQuizzesPage } = require('../pages/quizzes/logic');
const { createQuizTakePage } = require('../pages/quiz-take/logic');
const { createQuizResultPage } = require('../pages/quiz-result/logic');
const { createWrongAnswersPage } = require('../pages/wrong-answers/logic');
const { createPointsPage } = require('../pages/points/logic');
const { createLeaderboardPage } = require('../pages/leaderboard/logic');
const { mountPage } = require('./fake-wx');
const { quizContractProblems } = require('./quiz-contract');

const SERVER = process.env.CONTRACT_SERVER;
const EMULATOR = process.env.CONTRACT_EMULATOR;
const world = JSON.parse(process.env.CONTRACT_QUIZ || '{}');

async function phone(path, body) {
  const res = await fetch(EMULATOR + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

// The parts of `wx` the client and the pages use, backed by real HTTP and the emulator's phone. With
// `connected` false every request fails as on a phone without signal. The member confirms starting the
// exam and handing it in; every other question is answered no.
function nodeWx(user) {
  const storage = {};
  const wx = {
    connected: true,
    toasts: [],
    modals: [],
    navigated: [],
    redirected: [],
    dialogs: [],
    getStorageSync: (key) => storage[key],
    setStorageSync: (key, value) => {
      storage[key] = value;
    },
    removeStorageSync: (key) => {
      delete storage[key];
    },
    login: ({ success, fail }) => phone('/_phone/login', { user }).then(success, fail),
    request: ({ url, method, data, header, success, fail }) => {
      if (!wx.connected) {
        setTimeout(() => fail({ errMsg: 'request:fail -101:net::ERR_INTERNET_DISCONNECTED' }), 0);
        return;
      }
      fetch(url, { method, headers: header, body: method === 'GET' ? undefined : JSON.stringify(data) })
        .then(async (res) => success({ statusCode: res.status, data: await res.json().catch(() => null) }))
        .catch(fail);
    },
    requestSubscribeMessage: ({ tmplIds, success, fail }) => {
      wx.dialogs.push(tmplIds);
      phone('/_phone/subscribe', { user, template_ids: tmplIds, accept: true }).then(success, fail);
    },
    showModal: (options) => {
      wx.modals.push(options);
      if (options.success) options.success({ confirm: ['开始', '交卷'].includes(options.confirmText) });
    },
    showToast: (options) => wx.toasts.push(options),
    navigateTo: ({ url }) => wx.navigated.push(url),
    redirectTo: ({ url }) => wx.redirected.push(url),
    navigateBack: () => {},
    reLaunch: () => {},
    stopPullDownRefresh: () => {},
  };
  return wx;
}

// The countdown's timers are not run here: the member's taps and the network's return drive the page.
const stillTimers = { setTimeout: () => ({}), clearTimeout: () => {} };

async function boundMember(who) {
  const wx = nodeWx(who.user);
  const api = createClient({ wx, baseUrl: SERVER });
  const session = await api.login();
  if (!session.bound) {
    const { code } = await phone('/_phone/phone_code', { user: who.user, phone: who.phone });
    await api.bindWithPhone(code);
  }
  return { wx, api };
}

const query = (url) => Object.fromEntries(new URLSearchParams(url.split('?')[1] || ''));
const tapped = (dataset) => ({ currentTarget: { dataset } });
const listed = (list, id) => list.data.sections.flatMap((section) => section.quizzes).find((quiz) => quiz.id === id);

async function openTake(wx, api, url) {
  const page = mountPage(createQuizTakePage({ api, wx, timers: stillTimers }));
  await page.onLoad(query(url));
  await page.flush();
  return page;
}

// Answers questions `from`..`to` (1-based, inclusive) with their first option, moving on after each.
async function answer(page, from, to) {
  page.goTo(from - 1);
  for (let position = from; position <= to; position += 1) {
    await page.onChoose(tapped({ index: 0 }));
    page.onNext();
  }
}

describe('the document', () => {
  test('the server documents every path, parameter and field the 学习答题 pages rely on', async () => {
    const document = await (await fetch(`${SERVER}/api/openapi.json`)).json();
    expect(quizContractProblems(document)).toEqual([]);
  });
});

describe('the exam', () => {
  test('taken on a bad network: half saved, the rest kept on the phone, resumed, submitted, scored', async () => {
    const { wx, api } = await boundMember(world.member);
    const total = world.exam.question_count;

    const list = mountPage(createQuizzesPage({ api, wx }));
    await list.onShow();
    expect(listed(list, world.exam.id)).toMatchObject({ kindLabel: '考试', title: world.exam.title, action: '开始考试' });
    await list.onSubscribe();
    expect(wx.dialogs).toEqual([[JSON.parse(process.env.CONTRACT_TEMPLATES).quiz_open]]);
    expect(list.data.subscribed).toBe(true);

    await list.onStart(tapped({ id: world.exam.id }));
    expect(wx.modals.pop().title).toBe('开始考试');
    const take = await openTake(wx, api, wx.navigated.pop());
    expect(take.data).toMatchObject({ state: 'ready', total, progressText: `第 1/${total} 题`, clockShown: true });
    const attemptId = take.attemptId;

    const half = Math.floor(total / 2);
    await answer(take, 1, half);
    expect(take.data.saveText).toBe('答案已自动保存');
    wx.connected = false; // into a tunnel
    await answer(take, half + 1, total - 1);
    expect(take.data.saveLevel).toBe('offline');
    expect(Object.keys(wx.getStorageSync(keyFor(attemptId)))).toHaveLength(total - 1 - half);
    take.onUnload(); // WeChat closes the page while the phone has no signal

    wx.connected = true;
    await list.onShow();
    expect(listed(list, world.exam.id)).toMatchObject({ state: 'in_progress', action: '继续答题' });
    await list.onStart(tapped({ id: world.exam.id }));
    const again = await openTake(wx, api, wx.navigated.pop());
    expect(again.attemptId).toBe(attemptId);
    expect(again.data).toMatchObject({ answeredCount: total - 1, progressText: `第 ${total}/${total} 题` });
    expect(wx.getStorageSync(keyFor(attemptId))).toBeUndefined();
    const onServer = await api.get(`/api/attempts/${attemptId}`);
    expect(onServer.items.filter((item) => item.given && item.given.length)).toHaveLength(total - 1);
    expect(JSON.stringify(onServer)).not.toMatch(/"answer"|"explanation"/);

    await again.onSubmit();
    expect(wx.modals.pop().title).toBe('还有 1 题未作答');
    expect(wx.redirected).toEqual([`/pages/quiz-result/index?attempt=${attemptId}`]);

    const result = mountPage(createQuizResultPage({ api, wx }));
    await result.onLoad(query(wx.redirected.pop()));
    expect(result.data.state).toBe('ready');
    expect(result.data.result).toMatchObject({ title: world.exam.title, revealed: true, timedOut: false });
    expect(result.data.result.items).toHaveLength(total);
    expect(result.data.result.items[total - 1].givenText).toBe('未作答');
    world.awarded = Number((result.data.result.pointsText.match(/\d+/) || [0])[0]);

    const points = mountPage(createPointsPage({ api, wx }));
    await points.onShow();
    if (world.awarded) expect(points.data).toMatchObject({ state: 'ready', todayText: `今日 +${world.awarded}` });

    const board = mountPage(createLeaderboardPage({ api, wx }));
    await board.onLoad({});
    if (world.awarded) {
      expect(board.data.state).toBe('ready');
      expect(board.data.rows.filter((row) => row.mine).map((row) => row.name)).toEqual([world.member.name]);
    }
  });
});

describe('the wrong-answer book', () => {
  test('the questions missed, practised from the book, with the explanations after', async () => {
    const { wx, api } = await boundMember(world.member);
    const book = mountPage(createWrongAnswersPage({ api, wx }));
    await book.onShow();
    expect(book.data.state).toBe('ready');
    await book.onPractice();
    const take = await openTake(wx, api, wx.navigated.pop());
    expect(take.data).toMatchObject({ state: 'ready', kindLabel: '每日练习', clockShown: false });
    await answer(take, 1, take.data.total);
    await take.onSubmit();
    const result = mountPage(createQuizResultPage({ api, wx }));
    await result.onLoad(query(wx.redirected.pop()));
    expect(result.data.result.revealed).toBe(true);
    expect(result.data.result.items.every((item) => item.answerText)).toBe(true);
  });
});
