// Taking a quiz, as the member would: starting or resuming, answers saved as chosen and kept on the phone
// until the server confirms them, the countdown on the server's clock, 交卷 with its question, the time
// running out, and a contest's questions each on their own clock. The page's logic against a fake server,
// phone and clock.
const { NetworkError } = require('../utils/api');
const { keyFor } = require('../utils/quiz-answers');
const { TIME_UP_GRACE_MS, LEAVE_WARNING } = require('../pages/quiz-take/logic');
const {
  EXAM_ID,
  EXAM,
  EXAM_ATTEMPT_ID,
  examLater,
  CONTEST,
  CONTEST_ID,
  CONTEST_ATTEMPT_ID,
  PRACTICE_ATTEMPT_ID,
  SAVED,
  refusal,
  fakeApi,
  phone,
  flush,
  fakeTime,
  openTake,
} = require('./quiz-fakes');

const choose = (page, index) => page.onChoose({ currentTarget: { dataset: { index } } });
const pendingOn = (wx, attemptId = EXAM_ATTEMPT_ID) => wx.storage[keyFor(attemptId)];
const offline = () => new NetworkError();
const RESULT_PAGE = `/pages/quiz-result/index?attempt=${EXAM_ATTEMPT_ID}`;

describe('starting and resuming', () => {
  test('the server starts the quiz (or resumes mine) and the page opens at the first unanswered question', async () => {
    const { page, api, wx } = await openTake();
    expect(api.post).toHaveBeenCalledWith(`/api/quizzes/${EXAM_ID}/attempts`, {}, { retry: false });
    expect(page.data).toMatchObject({
      state: 'ready',
      title: '2026年度党章党规知识考试',
      kindLabel: '考试',
      progressText: '第 3/8 题',
      answeredCount: 2,
      clockShown: true,
      clockText: '20:00',
      isFirst: false,
      isLast: false,
    });
    expect(page.data.question).toMatchObject({ kindLabel: '多选题', stem: '党的纪律主要包括（ ）。', multiple: true, locked: false });
    expect(page.data.question.options.map((o) => `${o.letter}${o.text}${o.chosen ? '✓' : ''}`)).toEqual(['A政治纪律', 'B组织纪律', 'C廉洁纪律', 'D群众纪律']);
    expect(wx.leaveWarning).toBe(LEAVE_WARNING);
    page.onUnload();
  });

  test('the countdown follows the server’s clock, whatever the phone’s own clock says', async () => {
    const time = fakeTime(Date.parse('2020-01-01T00:00:00Z')); // a phone set six years wrong
    const { page } = await openTake({ time });
    expect(page.data.clockText).toBe('20:00');
    await time.advance(61 * 1000);
    expect(page.data.clockText).toBe('18:59');
    expect(page.data.clockLevel).toBe('');
    page.onUnload();
  });

  test('a true/false question offers 正确 and 错误; the 答题卡 jumps to any question', async () => {
    const { page } = await openTake();
    page.onToggleSheet();
    expect(page.data.sheetOpen).toBe(true);
    expect(page.data.sheet.map((cell) => (cell.answered ? '●' : '○')).join('')).toBe('●●○○○○○○');
    page.onJump({ currentTarget: { dataset: { index: 3 } } });
    expect(page.data).toMatchObject({ progressText: '第 4/8 题', sheetOpen: false });
    expect(page.data.question.options.map((o) => [o.letter, o.text])).toEqual([['', '正确'], ['', '错误']]);
    page.onPrev();
    page.onPrev();
    page.onPrev();
    expect(page.data).toMatchObject({ progressText: '第 1/8 题', isFirst: true });
    page.onPrev(); // nothing before the first
    expect(page.data.progressText).toBe('第 1/8 题');
    page.onUnload();
  });

  test('an attempt already submitted (on another phone, say) opens its result', async () => {
    const api = fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}`]: { ...EXAM, status: 'submitted' } } });
    const { wx } = await openTake({ api, options: { attempt: String(EXAM_ATTEMPT_ID) } });
    expect(wx.redirected).toEqual([RESULT_PAGE]);
  });

  test('a quiz the server will not start says why, without a retry', async () => {
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: refusal(409, 'attempts_exhausted', '您已参加过“2026年度党章党规知识考试”，每人只能作答 1 次') } });
    const { page, wx } = await openTake({ api });
    expect(page.data).toMatchObject({ state: 'refused', stateMessage: '您已参加过“2026年度党章党规知识考试”，每人只能作答 1 次' });
    expect(wx.leaveWarning).toBeNull();
    page.onBack();
    expect(wx.backs).toBe(1);
  });

  test('no network when opening: the error with 重新加载, which starts it', async () => {
    const answers = [offline(), EXAM];
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: () => answers.shift() } });
    const { page } = await openTake({ api });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    await page.onRetry();
    expect(page.data.state).toBe('ready');
    page.onUnload();
  });

  test('practice without a time limit shows no countdown', async () => {
    const { page } = await openTake({ options: { attempt: String(PRACTICE_ATTEMPT_ID) } });
    expect(page.data).toMatchObject({ state: 'ready', kindLabel: '每日练习', progressText: '第 1/3 题', clockShown: false });
    page.onUnload();
  });
});

describe('answers are saved as they are chosen', () => {
  test('kept on the phone at once, sent, and gone from the phone once the server confirms', async () => {
    const { page, api, wx } = await openTake();
    const saving = choose(page, 0);
    expect(pendingOn(wx)).toMatchObject({ 3: { given: [0], question_id: 502 } }); // before any answer
    await saving;
    expect(api.puts()).toEqual([[`${EXAM_ATTEMPT_ID}/items/3`, { given: [0], question_id: 502 }]]);
    expect(api.put.mock.calls[0][2]).toEqual({ retry: false });
    expect(pendingOn(wx)).toBeUndefined();
    expect(page.data).toMatchObject({ saveText: '答案已自动保存', saveLevel: 'ok', answeredCount: 3 });
    page.onUnload();
  });

  test('multiple choice adds and removes options; a single choice replaces; the same choice again sends nothing', async () => {
    const { page, api } = await openTake();
    await choose(page, 2);
    await choose(page, 0);
    await choose(page, 2);
    expect(page.data.question.options.map((o) => o.chosen)).toEqual([true, false, false, false]);
    page.onNext(); // question 4, true/false
    await choose(page, 1);
    await choose(page, 1);
    await choose(page, 0);
    expect(api.puts().map(([where, body]) => `${where} ${JSON.stringify(body.given)}`)).toEqual([
      '301/items/3 [2]',
      '301/items/3 [0,2]',
      '301/items/3 [0]',
      '301/items/4 [1]',
      '301/items/4 [0]',
    ]);
    page.onUnload();
  });

  test('offline: the answers wait on the phone with a plain note, are tried again, and go when the network is back', async () => {
    let online = false;
    const api = fakeApi({ put: () => (online ? SAVED() : offline()) });
    const { page, wx, time } = await openTake({ api });
    await choose(page, 1);
    page.onNext();
    await choose(page, 0);
    expect(Object.keys(pendingOn(wx))).toEqual(['3', '4']);
    expect(page.data).toMatchObject({ saveLevel: 'offline', saveText: '2 题答案暂存在手机上，联网后自动保存', answeredCount: 4 });
    const tries = api.put.mock.calls.length;
    await time.advance(2000); // tried again on its own, still offline
    expect(api.put.mock.calls.length).toBe(tries + 1);
    online = true;
    await page.onReconnect();
    await flush();
    expect(api.get).toHaveBeenCalledWith(`/api/attempts/${EXAM_ATTEMPT_ID}`, { retry: false });
    expect(pendingOn(wx)).toBeUndefined();
    expect(api.puts().slice(-2).map(([where, body]) => `${where} ${JSON.stringify(body.given)}`)).toEqual(['301/items/3 [1]', '301/items/4 [0]']);
    expect(page.data).toMatchObject({ saveLevel: 'ok', answeredCount: 4 });
    page.onUnload();
  });

  test('an answer changed while its save was on its way: the newer one is sent after', async () => {
    const saves = [];
    const api = fakeApi({ put: () => new Promise((resolve) => saves.push(() => resolve(SAVED()))) });
    const { page, wx } = await openTake({ api });
    choose(page, 0);
    await flush();
    choose(page, 1); // [0, 1] while [0] is on its way
    saves.shift()();
    await flush();
    expect(pendingOn(wx)[3].given).toEqual([0, 1]); // [0] was saved, [0, 1] still waits
    saves.shift()();
    await flush();
    expect(pendingOn(wx)).toBeUndefined();
    expect(api.puts().map(([, body]) => body.given)).toEqual([[0], [0, 1]]);
    page.onUnload();
  });

  test('WeChat closed the page mid-exam: reopened, the attempt is read again and the answers left on the phone are sent', async () => {
    const wx = phone();
    const first = await openTake({ wx, api: fakeApi({ put: () => offline() }) });
    await choose(first.page, 3);
    first.page.onUnload();
    expect(pendingOn(wx)[3].given).toEqual([3]);

    const api = fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}`]: examLater(300) } });
    const { page } = await openTake({ wx, api, options: { attempt: String(EXAM_ATTEMPT_ID) } });
    expect(page.data).toMatchObject({ progressText: '第 4/8 题', clockText: '15:00', answeredCount: 3 });
    page.onPrev();
    expect(page.data.question.options[3].chosen).toBe(true); // the server had nothing yet: the phone's answer shows
    expect(api.puts()).toEqual([[`${EXAM_ATTEMPT_ID}/items/3`, { given: [3], question_id: 502 }]]);
    expect(pendingOn(wx)).toBeUndefined();
    page.onUnload();
  });

  test('back from another app: the attempt and the clock are read again, the question on screen stays', async () => {
    const { page, api, time } = await openTake();
    page.onNext();
    page.onHide();
    await time.advance(120 * 1000);
    api.get.mockImplementation(() => Promise.resolve(examLater(130, { 3: [1] })));
    await page.onShow();
    await flush();
    expect(page.data).toMatchObject({ progressText: '第 4/8 题', clockText: '17:50', answeredCount: 3 });
    page.onUnload();
  });

  test('a refused answer: the server’s reason, the answer dropped, the attempt read again', async () => {
    const api = fakeApi({ put: () => refusal(409, 'question_mismatch', '题目与试卷不符，请刷新后重试') });
    const { page, wx } = await openTake({ api });
    await choose(page, 0);
    await flush();
    expect(wx.toasts.map((t) => t.title)).toEqual(['题目与试卷不符，请刷新后重试']);
    expect(pendingOn(wx)).toBeUndefined();
    expect(api.get).toHaveBeenCalledWith(`/api/attempts/${EXAM_ATTEMPT_ID}`, { retry: false });
    expect(page.data.question.options[0].chosen).toBe(false); // what the server holds
    page.onUnload();
  });
});

describe('交卷', () => {
  test('with questions unanswered: asks, saying how many; 继续作答 keeps the paper', async () => {
    const { page, api, wx } = await openTake({ wx: phone({ modalAnswers: [false] }) });
    await page.onSubmit();
    expect(wx.modals[0]).toMatchObject({ title: '还有 6 题未作答', content: '未作答的题不得分，确定交卷吗？', confirmText: '交卷', cancelText: '继续作答' });
    expect(api.post).toHaveBeenCalledTimes(1); // only the start
    expect(page.data.phase).toBe('answering');
    page.onUnload();
  });

  test('confirmed: every answer saved first, then submitted, then the result', async () => {
    const { page, api, wx } = await openTake({ wx: phone({ modalAnswers: [true] }) });
    await choose(page, 0);
    await page.onSubmit();
    expect(wx.modals[0].title).toBe('还有 5 题未作答');
    expect(api.post).toHaveBeenLastCalledWith(`/api/attempts/${EXAM_ATTEMPT_ID}/submit`, {});
    expect(wx.redirected).toEqual([RESULT_PAGE]);
    expect(wx.leaveWarning).toBeNull();
    page.onUnload();
  });

  test('all answered: a plain 确定交卷？', async () => {
    const full = { ...EXAM, items: EXAM.items.map((item) => ({ ...item, given: [0] })) };
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: full } });
    const { page, wx } = await openTake({ api, wx: phone({ modalAnswers: [true] }) });
    expect(page.data).toMatchObject({ progressText: '第 1/8 题', answeredCount: 8 });
    await page.onSubmit();
    expect(wx.modals[0]).toMatchObject({ title: '确定交卷？', content: '交卷后不能再修改答案。' });
    expect(wx.redirected).toEqual([RESULT_PAGE]);
  });

  test('answers still on the phone: not submitted, and the member is told why', async () => {
    const api = fakeApi({ put: () => offline() });
    const { page, wx } = await openTake({ api, wx: phone({ modalAnswers: [true] }) });
    await choose(page, 0);
    await page.onSubmit();
    expect(wx.modals[1]).toMatchObject({ title: '答案还没有保存', showCancel: false });
    expect(wx.modals[1].content).toContain('有 1 题的答案还在手机上');
    expect(api.post).toHaveBeenCalledTimes(1);
    expect(page.data.phase).toBe('answering');
    expect(wx.redirected).toEqual([]);
    page.onUnload();
  });
});

describe('the time is up', () => {
  // the exam read with `left` seconds to go on the server's clock
  const closing = (left, extra = {}) => fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: examLater(1200 - left) }, ...extra });

  test('five minutes left: told once; at the deadline no more answers, the server closes it, the result', async () => {
    const { page, api, wx, time } = await openTake({ api: closing(6 * 60) });
    expect(page.data).toMatchObject({ clockText: '6:00', clockLevel: '' });
    await time.advance(60 * 1000 + 500);
    expect(page.data).toMatchObject({ clockText: '5:00', clockLevel: 'soon' });
    expect(wx.toasts.map((t) => t.title)).toEqual(['还剩不到 5 分钟，请抓紧作答']);
    await time.advance(4 * 60 * 1000);
    expect(page.data.clockLevel).toBe('last');
    await time.advance(60 * 1000);
    expect(page.data).toMatchObject({ phase: 'timeup', clockText: '0:00', timeupTitle: '时间到', timeupText: '正在交卷，请稍候…' });
    await choose(page, 0);
    expect(api.put).not.toHaveBeenCalled();
    await time.advance(TIME_UP_GRACE_MS);
    expect(api.post).toHaveBeenLastCalledWith(`/api/attempts/${EXAM_ATTEMPT_ID}/submit`, {}, { retry: false });
    expect(wx.redirected).toEqual([RESULT_PAGE]);
    expect(wx.toasts).toHaveLength(1);
  });

  test('answers that could not be saved in time: the result says how many', async () => {
    const { page, wx, time } = await openTake({ api: closing(30, { put: () => offline() }) });
    await choose(page, 0);
    await time.advance(30 * 1000 + TIME_UP_GRACE_MS);
    expect(wx.redirected).toEqual([`${RESULT_PAGE}&lost=1`]);
    expect(pendingOn(wx)).toBeUndefined();
  });

  test('offline when the time is up: says the server collects the paper, and offers 查看成绩', async () => {
    const api = closing(30);
    api.post.mockImplementation((path) => (path.endsWith('/submit') ? Promise.reject(offline()) : Promise.resolve(examLater(1170))));
    const { page, wx, time } = await openTake({ api });
    await time.advance(30 * 1000 + TIME_UP_GRACE_MS);
    expect(page.data).toMatchObject({ phase: 'timeup', timeupFailed: true });
    expect(page.data.timeupText).toBe('作答已结束，系统会按截止时间收取答卷，截止前保存的答案都会计分。联网后可查看成绩。');
    expect(wx.redirected).toEqual([]);
    page.onShowResult();
    expect(wx.redirected).toEqual([RESULT_PAGE]);
  });

  test('the server says the time is up before the phone does: the same', async () => {
    const api = fakeApi({ put: () => refusal(409, 'attempt_time_up', '已超过作答时间，本题答案未保存') });
    const { page, wx, time } = await openTake({ api });
    await choose(page, 0);
    expect(page.data.phase).toBe('timeup');
    await time.advance(TIME_UP_GRACE_MS);
    expect(wx.redirected).toEqual([RESULT_PAGE]);
  });

  test('reopened after the deadline: straight to closing it', async () => {
    const api = fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}`]: examLater(1500) } });
    const { page, wx, time } = await openTake({ api, options: { attempt: String(EXAM_ATTEMPT_ID) } });
    expect(page.data.phase).toBe('timeup');
    await time.advance(TIME_UP_GRACE_MS);
    expect(wx.redirected).toEqual([RESULT_PAGE]);
  });
});

describe('竞答', () => {
  const CONTEST_RESULT_PAGE = `/pages/quiz-result/index?attempt=${CONTEST_ATTEMPT_ID}`;
  // The server saves an answer the moment it arrives: "now" on the shared clock.
  const contestApi = (time, extra = {}) => fakeApi({ put: () => SAVED(new Date(time.t).toISOString()), ...extra });

  async function openContest(extra) {
    const time = fakeTime();
    const opened = await openTake({ time, api: contestApi(time, extra), options: { quiz: String(CONTEST_ID) } });
    return opened;
  }

  test('one question at a time on its own clock; a tap answers with the time it took, and the next opens', async () => {
    const { page, api, time } = await openContest();
    expect(page.data).toMatchObject({ contest: true, kindLabel: '竞答', progressText: '第 1/5 题', questionClockText: '10 秒', clockShown: false });
    await time.advance(3000);
    expect(page.data.questionClockText).toBe('7 秒');
    await choose(page, 1);
    expect(api.puts()).toEqual([[`${CONTEST_ATTEMPT_ID}/items/1`, { given: [1], question_id: 700, ms_taken: 3000 }]]);
    expect(page.data).toMatchObject({ progressText: '第 2/5 题', questionClockText: '20 秒' });
    page.onUnload();
  });

  test('a question left unanswered is missed when its time runs out; the last one submits and shows the result', async () => {
    const { page, api, wx, time } = await openContest();
    await time.advance(10 * 1000);
    expect(page.data.progressText).toBe('第 2/5 题');
    expect(wx.toasts.map((t) => t.title)).toEqual(['本题时间到']);
    await time.advance(20 * 1000 * 3);
    expect(page.data.progressText).toBe('第 5/5 题');
    await choose(page, 1);
    await flush();
    expect(api.puts().map(([where]) => where)).toEqual([`${CONTEST_ATTEMPT_ID}/items/5`]);
    expect(api.post).toHaveBeenLastCalledWith(`/api/attempts/${CONTEST_ATTEMPT_ID}/submit`, {}, { retry: false });
    expect(wx.redirected).toEqual([CONTEST_RESULT_PAGE]);
  });

  test('multiple choice: choose, then 确定; once answered it cannot change', async () => {
    const { page, api, wx } = await openContest();
    await choose(page, 1); // question 1
    await choose(page, 0); // question 2, true/false
    await choose(page, 1); // question 3
    expect(page.data.question.multiple).toBe(true);
    await choose(page, 0);
    await choose(page, 2);
    expect(api.put).toHaveBeenCalledTimes(3);
    expect(page.data.question.options.map((o) => o.chosen)).toEqual([true, false, true, false]);
    await page.onConfirmChoice();
    expect(api.puts()[3]).toEqual([`${CONTEST_ATTEMPT_ID}/items/4`, expect.objectContaining({ given: [0, 2] })]);
    expect(page.data.progressText).toBe('第 5/5 题');
    page.onPrev(); // no going back in a contest
    page.onJump({ currentTarget: { dataset: { index: 0 } } });
    expect(page.data.progressText).toBe('第 5/5 题');
    page.onUnload();
    expect(wx.modals).toEqual([]);
  });

  test('确定 with nothing chosen says so; a contest that ends offline says it is over', async () => {
    const { page, api, wx } = await openContest();
    page.goTo(3);
    await page.onConfirmChoice();
    expect(wx.toasts.map((t) => t.title)).toEqual(['请先选择答案']);
    expect(api.put).not.toHaveBeenCalled();
    api.post.mockImplementation(() => Promise.reject(offline()));
    await choose(page, 0);
    await page.onConfirmChoice();
    await choose(page, 1); // the last question
    await flush();
    expect(page.data).toMatchObject({ phase: 'timeup', timeupTitle: '答题已结束', timeupFailed: true });
    page.onUnload();
  });

  test('reopened mid-contest: questions whose time passed are skipped, the clock is the server’s', async () => {
    const time = fakeTime();
    const later = { ...CONTEST, server_now: '2026-11-24T04:00:35+00:00', items: CONTEST.items.map((item, i) => (i === 0 ? { ...item, given: [1] } : item)) };
    const api = contestApi(time, { get: { [`/api/attempts/${CONTEST_ATTEMPT_ID}`]: later } });
    const { page } = await openTake({ time, api, options: { attempt: String(CONTEST_ATTEMPT_ID) } });
    expect(page.data).toMatchObject({ progressText: '第 3/5 题', questionClockText: '15 秒' });
    page.onUnload();
  });
});
