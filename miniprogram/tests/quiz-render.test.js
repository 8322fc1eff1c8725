// 学习答题 and 答题 as a member sees them: each page's own WXML with its components, in every state, with
// the data its logic produced from the fake server and clock. Each state is saved as a phone screenshot;
// a question the page asks (交卷 with questions unanswered) is drawn over it as WeChat draws it.
const { renderWithComponents: render, textOf, find, texts, componentTexts } = require('./render');
const { saveScreen } = require('./screen');
const { NetworkError } = require('../utils/api');
const { TIME_UP_GRACE_MS } = require('../pages/quiz-take/logic');
const {
  EXAM_ID,
  EXAM_ATTEMPT_ID,
  examLater,
  CONTEST_ID,
  PRACTICE_ATTEMPT_ID,
  QUIZZES,
  QUIZZES_EMPTY,
  SAVED,
  subscriptions,
  refusal,
  fakeApi,
  phone,
  flush,
  fakeTime,
  openQuizzes,
  openTake,
} = require('./quiz-fakes');

const stateText = (comp) => componentTexts(comp, 'page-state__text');
const squash = (comp, selector) => texts(comp, selector).map((t) => t.replace(/\s+/g, ''));
const choose = (page, index) => page.onChoose({ currentTarget: { dataset: { index } } });

afterEach(() => {
  delete global.getApp;
});

function offline() {
  global.getApp = () => ({ watchNetwork: (listener) => (listener(false), () => {}) });
}

describe('学习答题 list', () => {
  test('loading: nothing pretended', () => {
    const comp = render('quizzes', { state: 'loading', sections: [], entries: [], canSubscribe: true });
    expect(stateText(comp)).toEqual(['加载中…']);
    expect(find(comp, '.entries')).toBeNull();
    expect(find(comp, '.subscribe')).toBeNull();
    saveScreen(comp, 'quizzes', 'loading');
  });

  test('the list: sections, kind badges, facts, attempts left, best score; entries on top, 答题提醒 below', async () => {
    const { page } = await openQuizzes();
    const comp = render('quizzes', page.data);
    expect(texts(comp, '.entry__label')).toEqual(['错题本', '我的积分', '积分榜']);
    expect(texts(comp, '.section')).toEqual(['进行中', '可参加', '即将开始', '已完成']);
    expect(texts(comp, '.badge')).toEqual(['考试', '每日练习', '考试', '竞答', '考试', '考试', '竞答']);
    expect(texts(comp, '.quiz__title')[0]).toBe('2026年度党章党规知识考试');
    expect(texts(comp, '.quiz__facts')[0]).toBe('8 题 · 限时 30 分钟 · 60 分及格');
    expect(texts(comp, '.quiz__action')).toEqual(['继续答题', '开始练习', '开始考试', '开始竞答']);
    expect(texts(comp, '.quiz__state')).toEqual(['未开始', '已完成', '已结束']);
    expect(texts(comp, '.quiz__attempts')).toEqual(['不限次数', '还可作答 2 次', '还可作答 1 次', '还可作答 1 次']);
    expect(texts(comp, '.quiz__best')).toEqual(['最好成绩 90 分', '最好成绩 86 分']);
    expect(find(comp, '.quiz__action--resume')).not.toBeNull();
    expect(textOf(comp, '.subscribe__button')).toBe('开启提醒');
    expect(textOf(comp, '.subscribe__status')).toBe('未开启：新答题只在这里显示，不发微信通知');
    saveScreen(comp, 'quizzes', 'list');
  });

  test('subscribed: the line says how many reminders are left', async () => {
    const { page } = await openQuizzes({ api: fakeApi({ get: { '/api/me/subscriptions': subscriptions(2) } }) });
    const comp = render('quizzes', page.data);
    expect(textOf(comp, '.subscribe__status')).toBe('已开启，还可提醒 2 次');
    expect(textOf(comp, '.subscribe__button')).toBe('再开启一次');
    saveScreen(comp, 'quizzes', 'subscribed');
  });

  test('starting an exam asks first', async () => {
    const { page, wx } = await openQuizzes({ wx: phone({ modalAnswers: [false] }) });
    await page.onStart({ currentTarget: { dataset: { id: 22 } } });
    const comp = render('quizzes', page.data);
    saveScreen(comp, 'quizzes', 'start-confirm', { modal: wx.modals[0] });
    expect(wx.modals[0].title).toBe('开始考试');
  });

  test('empty: where quizzes will appear; the entries and 答题提醒 still there', async () => {
    const { page } = await openQuizzes({ api: fakeApi({ get: { '/api/quizzes': QUIZZES_EMPTY } }) });
    const comp = render('quizzes', page.data);
    expect(stateText(comp)).toEqual(['暂时没有答题。支部发布每日练习、考试或竞答后会出现在这里']);
    expect(texts(comp, '.entry__label')).toHaveLength(3);
    expect(find(comp, '.subscribe')).not.toBeNull();
    saveScreen(comp, 'quizzes', 'empty');
  });

  test('error: the reason and 重新加载', async () => {
    const { page } = await openQuizzes({ api: fakeApi({ get: { '/api/quizzes': new NetworkError() } }) });
    const comp = render('quizzes', page.data);
    expect(stateText(comp)).toEqual(['网络不给力，请检查网络后重试']);
    expect(componentTexts(comp, 'page-state__retry')).toEqual(['重新加载']);
    expect(find(comp, '.entries')).toBeNull();
    saveScreen(comp, 'quizzes', 'error');
  });

  test('offline with the last list kept: the banner and the stale note', async () => {
    const { page } = await openQuizzes({ api: fakeApi({ get: { '/api/quizzes': new NetworkError() }, cached: { '/api/quizzes': QUIZZES } }) });
    offline();
    const comp = render('quizzes', page.data);
    expect(textOf(comp, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    expect(textOf(comp, '.stale')).toBe('网络不给力，显示的是上次加载的内容，下拉可刷新');
    expect(comp.querySelectorAll('.quiz')).toHaveLength(7);
    saveScreen(comp, 'quizzes', 'offline');
  });
});

describe('答题', () => {
  test('loading', () => {
    const comp = render('quiz-take', { state: 'loading' });
    expect(stateText(comp)).toEqual(['加载中…']);
    expect(find(comp, '.question')).toBeNull();
    saveScreen(comp, 'quiz-take', 'loading');
  });

  test('a multiple-choice question: 第 3/8 题, the countdown, options, 上一题 · 答题卡 · 下一题', async () => {
    const { page } = await openTake();
    await choose(page, 0);
    await choose(page, 2);
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.top__title')).toBe('考试2026年度党章党规知识考试');
    expect(textOf(comp, '.progress-text')).toBe('第 3/8 题');
    expect(textOf(comp, '.clock')).toBe('剩余 20:00');
    expect(textOf(comp, '.question__kind')).toBe('多选题');
    expect(textOf(comp, '.question__hint')).toBe('可选多项');
    expect(squash(comp, '.option')).toEqual(['A政治纪律', 'B组织纪律', 'C廉洁纪律', 'D群众纪律']);
    expect(comp.querySelectorAll('.option--chosen')).toHaveLength(2);
    expect(textOf(comp, '.save')).toBe('答案已自动保存');
    expect(texts(comp, '.nav__btn')).toEqual(['上一题', '答题卡 3/8', '下一题']);
    saveScreen(comp, 'quiz-take', 'question');
    page.onUnload();
  });

  test('a true/false question, and the 答题卡 opened', async () => {
    const { page } = await openTake();
    page.onNext();
    await choose(page, 0);
    page.onToggleSheet();
    const comp = render('quiz-take', page.data);
    expect(squash(comp, '.option')).toEqual(['✓正确', '错误']);
    expect(textOf(comp, '.sheet__legend')).toBe('已答 3 题 · 未答 5 题');
    expect(comp.querySelectorAll('.cell--answered')).toHaveLength(3);
    expect(textOf(comp, '.cell--current')).toBe('4');
    expect(textOf(comp, '.sheet__submit')).toBe('交卷');
    saveScreen(comp, 'quiz-take', 'sheet');
    page.onUnload();
  });

  test('offline: the answers wait on the phone, and the page says so', async () => {
    const { page } = await openTake({ api: fakeApi({ put: () => new NetworkError() }) });
    await choose(page, 1);
    page.onNext();
    await choose(page, 1);
    offline();
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    expect(textOf(comp, '.save--offline')).toBe('2 题答案暂存在手机上，联网后自动保存');
    expect(textOf(comp, '.nav__sheet')).toBe('答题卡 4/8');
    saveScreen(comp, 'quiz-take', 'offline');
    page.onUnload();
  });

  test('resumed after reconnecting: everything saved, the clock read again', async () => {
    let online = false;
    const api = fakeApi({ put: () => (online ? SAVED() : new NetworkError()) });
    const { page } = await openTake({ api });
    await choose(page, 1);
    online = true;
    api.get.mockImplementation(() => Promise.resolve(examLater(240, { 3: [1] })));
    await page.onReconnect();
    await flush();
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.save--ok')).toBe('答案已自动保存');
    expect(textOf(comp, '.clock')).toBe('剩余 16:00');
    saveScreen(comp, 'quiz-take', 'resumed');
    page.onUnload();
  });

  test('the last question: 交卷 in place of 下一题; with questions unanswered it asks, saying how many', async () => {
    const { page, wx } = await openTake({ wx: phone({ modalAnswers: [false] }) });
    page.onJump({ currentTarget: { dataset: { index: 7 } } });
    await page.onSubmit();
    const comp = render('quiz-take', page.data);
    expect(texts(comp, '.nav__btn')).toEqual(['上一题', '答题卡 2/8', '交卷']);
    expect(wx.modals[0].title).toBe('还有 6 题未作答');
    saveScreen(comp, 'quiz-take', 'submit-confirm', { modal: wx.modals[0] });
    page.onUnload();
  });

  test('answers not yet saved when 交卷 is tapped: not submitted, and why', async () => {
    const { page, wx } = await openTake({ api: fakeApi({ put: () => new NetworkError() }), wx: phone({ modalAnswers: [true] }) });
    await choose(page, 0);
    await page.onSubmit();
    const comp = render('quiz-take', page.data);
    saveScreen(comp, 'quiz-take', 'submit-unsaved', { modal: wx.modals[1] });
    expect(wx.modals[1].title).toBe('答案还没有保存');
    page.onUnload();
  });

  test('the last minute: the countdown in red', async () => {
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: examLater(1150) } });
    const { page } = await openTake({ api });
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.clock--last')).toBe('剩余 0:50');
    saveScreen(comp, 'quiz-take', 'last-minute');
    page.onUnload();
  });

  test('time up: no question any more, 时间到, the paper being handed in', async () => {
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: examLater(1195) } });
    const { page, time } = await openTake({ api });
    await time.advance(5000);
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.timeup__title')).toBe('时间到');
    expect(textOf(comp, '.timeup__text')).toBe('正在交卷，请稍候…');
    expect(textOf(comp, '.clock')).toBe('剩余 0:00');
    expect(find(comp, '.question')).toBeNull();
    expect(find(comp, '.nav')).toBeNull();
    saveScreen(comp, 'quiz-take', 'timeup');
    await time.advance(TIME_UP_GRACE_MS);
  });

  test('time up offline: the server collects the paper; 查看成绩 when back online', async () => {
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: examLater(1195), [`/api/attempts/${EXAM_ATTEMPT_ID}/submit`]: new NetworkError() } });
    const { page, time } = await openTake({ api });
    await time.advance(5000 + TIME_UP_GRACE_MS);
    offline();
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.timeup__text')).toContain('截止前保存的答案都会计分');
    expect(textOf(comp, '.timeup__result')).toBe('查看成绩');
    saveScreen(comp, 'quiz-take', 'timeup-offline');
  });

  test('a contest: the question’s own seconds, no going back', async () => {
    const time = fakeTime();
    const { page } = await openTake({ time, options: { quiz: String(CONTEST_ID) } });
    await time.advance(4000);
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.question-clock')).toBe('本题剩余 6 秒');
    expect(find(comp, '.clock:not(.question-clock)')).toBeNull();
    expect(find(comp, '.nav')).toBeNull();
    expect(textOf(comp, '.top__kind')).toBe('竞答');
    saveScreen(comp, 'quiz-take', 'contest');
    page.onUnload();
  });

  test('a contest’s multiple choice: chosen, then 确定', async () => {
    const time = fakeTime();
    const { page } = await openTake({ time, api: fakeApi({ put: () => SAVED(new Date(time.t).toISOString()) }), options: { quiz: String(CONTEST_ID) } });
    await choose(page, 1);
    await choose(page, 0);
    await choose(page, 1);
    await choose(page, 0);
    await choose(page, 1);
    await time.advance(2000);
    const comp = render('quiz-take', page.data);
    expect(textOf(comp, '.progress-text')).toBe('第 4/5 题');
    expect(textOf(comp, '.confirm')).toBe('确定');
    expect(comp.querySelectorAll('.option--chosen')).toHaveLength(2);
    expect(textOf(comp, '.question-clock--last, .clock--last')).toBeUndefined();
    saveScreen(comp, 'quiz-take', 'contest-multiple');
    page.onUnload();
  });

  test('practice without a time limit: no countdown', async () => {
    const { page } = await openTake({ options: { attempt: String(PRACTICE_ATTEMPT_ID) } });
    const comp = render('quiz-take', page.data);
    expect(find(comp, '.clock')).toBeNull();
    expect(textOf(comp, '.top__kind')).toBe('每日练习');
    saveScreen(comp, 'quiz-take', 'practice');
    page.onUnload();
  });

  test('refused: the server’s reason and the way back', async () => {
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: refusal(409, 'attempts_exhausted', '您已参加过“2026年度党章党规知识考试”，每人只能作答 1 次') } });
    const { page } = await openTake({ api });
    const comp = render('quiz-take', page.data);
    expect(stateText(comp)).toEqual(['您已参加过“2026年度党章党规知识考试”，每人只能作答 1 次']);
    expect(componentTexts(comp, 'page-state__retry')).toEqual([]);
    expect(textOf(comp, '.back')).toBe('返回答题列表');
    saveScreen(comp, 'quiz-take', 'refused');
  });

  test('error: the reason and 重新加载', async () => {
    const api = fakeApi({ post: { [`/api/quizzes/${EXAM_ID}/attempts`]: new NetworkError() } });
    const { page } = await openTake({ api });
    offline();
    const comp = render('quiz-take', page.data);
    expect(stateText(comp)).toEqual(['网络不给力，请检查网络后重试']);
    expect(componentTexts(comp, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(comp, 'quiz-take', 'error');
  });
});
