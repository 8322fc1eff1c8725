// 成绩, 错题本, 我的积分 and 积分榜 as a member sees them, in every state, from the data their logic produced
// from the fake server; and 我的 with its way into 学习答题. Each state is saved as a phone screenshot.
const { renderWithComponents: render, textOf, find, texts, componentTexts } = require('./render');
const { saveScreen } = require('./screen');
const { NetworkError } = require('../utils/api');
const { rowsFrom, remindersFrom } = require('../pages/profile/logic');
const {
  EXAM_ATTEMPT_ID,
  CONTEST_ATTEMPT_ID,
  QUIZZES,
  RESULT_HIDDEN,
  RESULT_TIMEOUT,
  WRONG_BOOK,
  WRONG_BOOK_EMPTY,
  POINTS_EMPTY,
  subscriptions,
  refusal,
  fakeApi,
  openResult,
  openWrongAnswers,
  openPoints,
  openLeaderboard,
} = require('./quiz-fakes');

const stateText = (comp) => componentTexts(comp, 'page-state__text');
const squash = (comp, selector) => texts(comp, selector).map((t) => t.replace(/\s+/g, ''));
const RESULT_PATH = `/api/attempts/${EXAM_ATTEMPT_ID}/result`;

afterEach(() => {
  delete global.getApp;
});

function offline() {
  global.getApp = () => ({ watchNetwork: (listener) => (listener(false), () => {}) });
}

describe('成绩', () => {
  test('loading', () => {
    const comp = render('quiz-result', { state: 'loading' });
    expect(stateText(comp)).toEqual(['加载中…']);
    expect(find(comp, '.score')).toBeNull();
    saveScreen(comp, 'quiz-result', 'loading');
  });

  test('with explanations: score, 通过, right answers, points; each question marked, with its explanation', async () => {
    const { page } = await openResult();
    const comp = render('quiz-result', page.data);
    expect(textOf(comp, '.score__value')).toBe('63');
    expect(textOf(comp, '.score__pass--ok')).toBe('通过');
    expect(textOf(comp, '.score__meta')).toBe('答对 5/8 题');
    expect(textOf(comp, '.points--earned')).toBe('+5');
    expect(textOf(comp, '.submitted')).toBe('2026-11-24 12:12');
    expect(comp.querySelectorAll('.review')).toHaveLength(8);
    expect(texts(comp, '.review--wrong .review__number')).toEqual(['第 3 题', '第 5 题', '第 8 题']);
    expect(squash(comp, '.review')[4]).toContain('A.三正确答案B.五您的选择C.七D.十');
    expect(texts(comp, '.choice--missed .choice__text')).toEqual(['群众纪律']);
    expect(texts(comp, '.review__answers')[7]).toBe('您的答案：未作答正确答案：A');
    expect(texts(comp, '.explanation')[0]).toBe('解析党章第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。');
    expect(textOf(comp, '.only-wrong')).toBe('只看错题（3）');
    expect(texts(comp, '.actions .btn')).toEqual(['去错题本练习', '返回答题列表']);
    expect(find(comp, '.reveal-later')).toBeNull();
    saveScreen(comp, 'quiz-result', 'explained');
    page.onToggleWrong();
    const wrong = render('quiz-result', page.data);
    expect(comp.querySelectorAll('.review')).toHaveLength(8);
    expect(wrong.querySelectorAll('.review')).toHaveLength(3);
    expect(textOf(wrong, '.only-wrong')).toBe('显示全部');
    saveScreen(wrong, 'quiz-result', 'only-wrong');
  });

  test('without explanations yet: the score, and when the answers will be shown', async () => {
    const { page } = await openResult({ api: fakeApi({ get: { [RESULT_PATH]: RESULT_HIDDEN }, cached: { '/api/quizzes': QUIZZES } }) });
    const comp = render('quiz-result', page.data);
    expect(textOf(comp, '.score__value')).toBe('63');
    expect(textOf(comp, '.reveal-later__text')).toBe('将于 11月30日 18:00 答题结束后公布');
    expect(find(comp, '.review')).toBeNull();
    expect(find(comp, '.wrong-book')).toBeNull();
    saveScreen(comp, 'quiz-result', 'hidden');
  });

  test('closed by the clock, with answers lost on the way', async () => {
    const api = fakeApi({ get: { [RESULT_PATH]: RESULT_TIMEOUT } });
    const { page } = await openResult({ api, options: { attempt: String(EXAM_ATTEMPT_ID), lost: '1' } });
    const comp = render('quiz-result', page.data);
    expect(textOf(comp, '.score__pass--fail')).toBe('未通过');
    expect(textOf(comp, '.timed-out')).toBe('时间到，系统已按截止时间自动交卷');
    expect(textOf(comp, '.lost')).toBe('有 1 题的答案因网络原因未能在截止前保存，未计入成绩');
    expect(textOf(comp, '.points')).toBe('0');
    expect(texts(comp, '.tile__label')).toEqual(['本次未获得积分', '自动交卷时间']);
    saveScreen(comp, 'quiz-result', 'timeout');
  });

  test('a contest: no pass mark, and 查看积分榜', async () => {
    const { page } = await openResult({ options: { attempt: String(CONTEST_ATTEMPT_ID) } });
    const comp = render('quiz-result', page.data);
    expect(find(comp, '.score__pass')).toBeNull();
    expect(texts(comp, '.actions .btn')).toEqual(['去错题本练习', '查看积分榜', '返回答题列表']);
    saveScreen(comp, 'quiz-result', 'contest');
  });

  test('not yet submitted: the reason and 继续作答; offline: 重新加载', async () => {
    const open = await openResult({ api: fakeApi({ get: { [RESULT_PATH]: refusal(409, 'attempt_open', '尚未交卷，交卷后可查看成绩') } }) });
    const comp = render('quiz-result', open.page.data);
    expect(stateText(comp)).toEqual(['尚未交卷，交卷后可查看成绩']);
    expect(texts(comp, '.btn')).toEqual(['继续作答', '返回答题列表']);
    saveScreen(comp, 'quiz-result', 'not-submitted');
    const { page } = await openResult({ api: fakeApi({ get: { [RESULT_PATH]: new NetworkError() } }) });
    offline();
    const off = render('quiz-result', page.data);
    expect(componentTexts(off, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(off, 'quiz-result', 'error');
  });
});

describe('错题本', () => {
  test('loading', () => {
    const comp = render('wrong-answers', { state: 'loading' });
    expect(stateText(comp)).toEqual(['加载中…']);
    saveScreen(comp, 'wrong-answers', 'loading');
  });

  test('the book: how many, 练习错题, each question with its options, how often and when', async () => {
    const { page } = await openWrongAnswers();
    const comp = render('wrong-answers', page.data);
    expect(textOf(comp, '.practice__count')).toBe('共3道错题');
    expect(textOf(comp, '.practice__button')).toBe('练习错题（3 题）');
    expect(texts(comp, '.entry__stem')).toEqual(WRONG_BOOK.items.map((item) => item.stem));
    expect(texts(comp, '.entry__option').slice(0, 2)).toEqual(['A. 政治纪律', 'B. 组织纪律']);
    expect(texts(comp, '.entry__times')).toEqual(['答错 2 次', '答错 1 次', '答错 1 次']);
    expect(texts(comp, '.entry__last')).toEqual(['最近 今天 11:12', '最近 昨天 18:05', '最近 11月2日 09:00']);
    saveScreen(comp, 'wrong-answers', 'list');
  });

  test('empty, error and offline', async () => {
    const empty = await openWrongAnswers({ api: fakeApi({ get: { '/api/me/wrong-answers': WRONG_BOOK_EMPTY } }) });
    const comp = render('wrong-answers', empty.page.data);
    expect(stateText(comp)).toEqual(['错题本是空的。答错的题会记在这里，练习答对后移出']);
    expect(find(comp, '.practice')).toBeNull();
    saveScreen(comp, 'wrong-answers', 'empty');
    const failed = await openWrongAnswers({ api: fakeApi({ get: { '/api/me/wrong-answers': new NetworkError() } }) });
    const error = render('wrong-answers', failed.page.data);
    expect(componentTexts(error, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(error, 'wrong-answers', 'error');
    const kept = await openWrongAnswers({ api: fakeApi({ get: { '/api/me/wrong-answers': new NetworkError() }, cached: { '/api/me/wrong-answers': WRONG_BOOK } }) });
    offline();
    const off = render('wrong-answers', kept.page.data);
    expect(textOf(off, '.stale')).toBe('网络不给力，显示的是上次加载的内容，下拉可刷新');
    saveScreen(off, 'wrong-answers', 'offline');
  });
});

describe('我的积分', () => {
  test('loading', () => {
    const comp = render('points', { state: 'loading' });
    expect(stateText(comp)).toEqual(['加载中…']);
    saveScreen(comp, 'points', 'loading');
  });

  test('the total, today, each source against its daily cap, the latest entries', async () => {
    const { page } = await openPoints();
    const comp = render('points', page.data);
    expect(textOf(comp, '.total__value')).toBe('128');
    expect(textOf(comp, '.total__today')).toBe('今日 +6');
    expect(squash(comp, '.source')).toEqual(['每日练习今日5/5（今日已满）46分', '考试今日060分', '竞答今日0/612分', '阅读手机报今日1/610分']);
    expect(texts(comp, '.entry__points')).toEqual(['+5', '+1', '+10', '+6']);
    expect(textOf(comp, '.board-link')).toBe('查看积分榜');
    saveScreen(comp, 'points', 'ready');
  });

  test('nothing yet, error and offline', async () => {
    const empty = await openPoints({ api: fakeApi({ get: { '/api/me/points': POINTS_EMPTY } }) });
    const comp = render('points', empty.page.data);
    expect(stateText(comp)).toEqual(['还没有学习积分。参加每日练习、考试和竞答，阅读手机报，都可以获得积分']);
    expect(textOf(comp, '.board-link')).toBe('查看积分榜');
    saveScreen(comp, 'points', 'empty');
    const failed = await openPoints({ api: fakeApi({ get: { '/api/me/points': new NetworkError() } }) });
    offline();
    const off = render('points', failed.page.data);
    expect(textOf(off, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    expect(componentTexts(off, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(off, 'points', 'error');
  });
});

describe('积分榜', () => {
  test('loading: the switches, nothing else', () => {
    const comp = render('leaderboard', { state: 'loading', scope: 'branch', period: 'all', scopes: [{ key: 'branch', label: '本支部' }, { key: 'committee', label: '全党委' }], periods: [{ key: 'all', label: '总榜' }, { key: 'month', label: '本月' }], rows: [] });
    expect(texts(comp, '.switch__item--on')).toEqual(['本支部', '总榜']);
    expect(find(comp, '.me')).toBeNull();
    saveScreen(comp, 'leaderboard', 'loading');
  });

  test('my branch: my standing on top, the best below with mine marked', async () => {
    const { page } = await openLeaderboard();
    const comp = render('leaderboard', page.data);
    expect(textOf(comp, '.me__rank')).toBe('第 4 名');
    expect(textOf(comp, '.me__points')).toBe('128 分');
    expect(textOf(comp, '.board-title')).toBe('甲一支部 · 总榜');
    expect(texts(comp, '.standing__name')).toEqual(['李红', '王建国', '赵敏', '刘洋', '张三我', '陈静', '孙立']);
    expect(textOf(comp, '.standing--mine .standing__name')).toBe('张三我');
    expect(comp.querySelectorAll('.rank--top')).toHaveLength(3);
    saveScreen(comp, 'leaderboard', 'branch');
  });

  test('the committee: names with their branches; I am further down', async () => {
    const { page } = await openLeaderboard();
    await page.onScope({ currentTarget: { dataset: { key: 'committee' } } });
    const comp = render('leaderboard', page.data);
    expect(texts(comp, '.switch__item--on')).toEqual(['全党委', '总榜']);
    expect(textOf(comp, '.me__rank')).toBe('第 37 名');
    expect(texts(comp, '.standing .item__meta')[0]).toBe('机关第二支部');
    expect(find(comp, '.standing--mine')).toBeNull();
    saveScreen(comp, 'leaderboard', 'committee');
  });

  test('this month, nobody yet: says so; I am not ranked', async () => {
    const { page } = await openLeaderboard();
    await page.onPeriod({ currentTarget: { dataset: { key: 'month' } } });
    const comp = render('leaderboard', page.data);
    expect(stateText(comp)).toEqual(['本月还没有人获得积分']);
    expect(textOf(comp, '.me__rank')).toBe('暂未上榜');
    expect(textOf(comp, '.me__hint')).toBe('参加答题获得积分后即可上榜');
    saveScreen(comp, 'leaderboard', 'empty');
  });

  test('error and offline', async () => {
    const { page } = await openLeaderboard({ api: fakeApi({ get: { '/api/leaderboard?scope=branch&period=all': new NetworkError() } }) });
    offline();
    const comp = render('leaderboard', page.data);
    expect(componentTexts(comp, 'page-state__retry')).toEqual(['重新加载']);
    expect(textOf(comp, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    saveScreen(comp, 'leaderboard', 'error');
  });
});

test('我的: 学习答题 and 我的积分 beside 我的出勤 where the deployment has them', () => {
  const me = { name: '张三', gender: '男', branch: { name: '甲一支部' }, group: { name: '第一党小组' }, status_label: '正式党员', join_date: '2005-07-01', full_member_date: '2006-07-01', phone: '138****5678', id_card: '110105********002X', dues_category_label: '在职', dues_base_fen: 500000 };
  const comp = render('profile', { state: 'ready', rows: rowsFrom(me), reminders: remindersFrom(subscriptions(1)), study: true });
  expect(squash(comp, '.row--link')).toEqual(['我的出勤查看›', '学习答题练习·考试·竞答›', '我的积分查看›', '书记信箱·党委信箱写信·我的信件›', '支部留言板查看›']);
  saveScreen(comp, 'profile', 'study');
});
