// 学习答题 around the quiz itself: the list and starting from it, the result, 错题本, 我的积分, 积分榜, and
// the ways in from 首页 and 我的. Each page's logic against the fake server and phone.
const { NetworkError } = require('../utils/api');
const { createHomePage } = require('../pages/home/logic');
const { createProfilePage } = require('../pages/profile/logic');
const { mountPage } = require('./fake-wx');
const { durationText, clockText, whenText, choiceText, createServerClock } = require('../utils/quiz');
const {
  NOW,
  QUIZZES,
  QUIZZES_EMPTY,
  EXAM_ATTEMPT_ID,
  CONTEST_ATTEMPT_ID,
  PRACTICE_ATTEMPT_ID,
  RESULT,
  RESULT_HIDDEN,
  RESULT_TIMEOUT,
  WRONG_BOOK_EMPTY,
  POINTS,
  POINTS_EMPTY,
  BOARD_BRANCH,
  HOME,
  subscriptions,
  refusal,
  fakeApi,
  phone,
  openQuizzes,
  openResult,
  openWrongAnswers,
  openPoints,
  openLeaderboard,
} = require('./quiz-fakes');

const tapQuiz = (page, id) => page.onStart({ currentTarget: { dataset: { id } } });

describe('what the pages share', () => {
  test('durations, countdowns and times read as a member reads them', () => {
    expect([20, 90, 1200, 1800, 3600, 5400].map(durationText)).toEqual(['20 秒', '1 分 30 秒', '20 分钟', '30 分钟', '1 小时', '1 小时 30 分钟']);
    expect([1799001, 60000, 59001, 0, -5, 3723000].map(clockText)).toEqual(['30:00', '1:00', '1:00', '0:00', '0:00', '1:02:03']);
    expect(['2026-11-24T10:00:00Z', '2026-11-25T01:00:00Z', '2026-11-23T12:00:00Z', '2026-12-05T10:00:00Z', '2027-01-05T10:00:00Z'].map((iso) => whenText(iso, NOW))).toEqual([
      '今天 18:00',
      '明天 09:00',
      '昨天 20:00',
      '12月5日 18:00',
      '2027年1月5日 18:00',
    ]);
    expect([choiceText('multiple', [2, 0]), choiceText('true_false', [1]), choiceText('single', null)]).toEqual(['A、C', '错误', '']);
  });

  test('the server’s clock runs on the phone from the answer’s server_now', () => {
    const phoneTime = { t: Date.parse('2026-11-24T03:59:00Z') }; // a minute slow
    const clock = createServerClock(() => phoneTime.t);
    clock.sync('2026-11-24T04:00:00+00:00');
    phoneTime.t += 5000;
    expect(new Date(clock.now()).toISOString()).toBe('2026-11-24T04:00:05.000Z');
  });
});

describe('学习答题 list', () => {
  test('grouped by what I can do: 进行中, 可参加, 即将开始, 已完成; each with its kind, size, limit and marks', async () => {
    const { page, api } = await openQuizzes();
    expect(api.get).toHaveBeenCalledWith('/api/quizzes', { retry: false, cache: true });
    const sections = page.data.sections;
    expect(sections.map((s) => [s.title, s.quizzes.map((q) => q.id)])).toEqual([
      ['进行中', [21]],
      ['可参加', [12, 22, 23]],
      ['即将开始', [24]],
      ['已完成', [18, 15]],
    ]);
    const shown = (id) => sections.flatMap((s) => s.quizzes).find((q) => q.id === id);
    expect(shown(21)).toMatchObject({ kindLabel: '考试', facts: '8 题 · 限时 30 分钟 · 60 分及格', when: '11月30日 18:00 截止', attempts: '', action: '继续答题' });
    expect(shown(12)).toMatchObject({ kindLabel: '每日练习', facts: '10 题 · 不限时', when: '长期开放', attempts: '不限次数', best: '最好成绩 90 分', action: '开始练习' });
    expect(shown(22)).toMatchObject({ facts: '15 题 · 限时 20 分钟 · 80 分及格', attempts: '还可作答 2 次', action: '开始考试' });
    expect(shown(23)).toMatchObject({ kindLabel: '竞答', facts: '5 题 · 每题限时 20 秒', when: '今天 20:00 截止', action: '开始竞答' });
    expect(shown(24)).toMatchObject({ when: '12月1日 09:00 开始', attempts: '还可作答 1 次', action: '', stateWord: '未开始' });
    expect(shown(18)).toMatchObject({ when: '11月10日 18:00 结束', attempts: '', best: '最好成绩 86 分', stateWord: '已完成' });
    expect(shown(15)).toMatchObject({ stateWord: '已结束', best: '' });
  });

  test('practice and a quiz under way open at once; an exam and a contest ask first', async () => {
    const { page, wx } = await openQuizzes({ wx: phone({ modalAnswers: [false, true, true] }) });
    await tapQuiz(page, 12);
    await tapQuiz(page, 21);
    expect(wx.navigated).toEqual(['/pages/quiz-take/index?quiz=12', '/pages/quiz-take/index?quiz=21']);
    await tapQuiz(page, 22); // 再等等
    expect(wx.modals[0]).toMatchObject({ title: '开始考试', confirmText: '开始', cancelText: '再等等' });
    expect(wx.modals[0].content).toBe('共 15 题，限时 20 分钟。您还有 2 次作答机会，开始后计时不会暂停，中途退出可回到这里继续作答。');
    expect(wx.navigated).toHaveLength(2);
    await tapQuiz(page, 22);
    await tapQuiz(page, 23);
    expect(wx.modals[2]).toMatchObject({ title: '开始竞答', content: '共 5 题，每题限时 20 秒。选定答案后不能修改，答得又对又快得分越高。' });
    expect(wx.navigated.slice(2)).toEqual(['/pages/quiz-take/index?quiz=22', '/pages/quiz-take/index?quiz=23']);
    await tapQuiz(page, 24); // not open yet: nothing
    await tapQuiz(page, 18);
    expect(wx.navigated).toHaveLength(4);
  });

  test('错题本, 我的积分 and 积分榜 open their pages', async () => {
    const { page, wx } = await openQuizzes();
    ['wrong', 'points', 'board'].forEach((key) => page.onEntry({ currentTarget: { dataset: { key } } }));
    expect(wx.navigated).toEqual(['/pages/wrong-answers/index', '/pages/points/index', '/pages/leaderboard/index']);
  });

  test('答题提醒 asks WeChat from the tap itself, tells the server, and says what is left', async () => {
    const { page, api, wx } = await openQuizzes();
    expect(page.data).toMatchObject({ canSubscribe: true, subscribed: false, subscribeStatus: '未开启：新答题只在这里显示，不发微信通知' });
    const asking = page.onSubscribe();
    expect(wx.subscribeAsked).toEqual([['demo_quiz_open']]); // before anything was awaited
    await asking;
    expect(api.post).toHaveBeenCalledWith('/api/me/subscriptions', { results: { demo_quiz_open: 'accept' } });
    expect(wx.toasts.map((t) => t.title)).toEqual(['已开启提醒']);
    expect(page.data).toMatchObject({ subscribed: true, subscribeStatus: '已开启，还可提醒 1 次' });
  });

  test('a reminder WeChat could not deliver says so; a refusal in the dialog is the member’s right', async () => {
    const api = fakeApi({ get: { '/api/me/subscriptions': subscriptions(0, { refused_at: '2026-11-22T01:00:00+00:00' }) }, post: { '/api/me/subscriptions': subscriptions(0) } });
    const { page, wx } = await openQuizzes({ api, wx: phone({ subscribeAnswer: 'reject' }) });
    expect(page.data.subscribeStatus).toBe('上次提醒未能送达，请重新开启');
    await page.onSubscribe();
    expect(wx.toasts.map((t) => t.title)).toEqual(['未开启，可随时再点开启']);
  });

  test('back on the list it is read again quietly; empty says where quizzes will appear', async () => {
    const { page, api } = await openQuizzes({ api: fakeApi({ get: { '/api/quizzes': QUIZZES_EMPTY } }) });
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '暂时没有答题。支部发布每日练习、考试或竞答后会出现在这里' });
    api.get.mockImplementation(() => Promise.resolve(QUIZZES));
    const showing = page.onShow();
    expect(page.data.state).toBe('empty'); // no 加载中 over what is shown
    await showing;
    expect(page.data.state).toBe('ready');
  });

  test('offline: the last list kept on the phone, marked; nothing can be started from it', async () => {
    const api = fakeApi({ get: { '/api/quizzes': new NetworkError() }, cached: { '/api/quizzes': QUIZZES } });
    const { page, wx } = await openQuizzes({ api });
    expect(page.data).toMatchObject({ state: 'ready', stale: true });
    await tapQuiz(page, 12);
    expect(wx.navigated).toEqual([]);
    expect(wx.toasts.map((t) => t.title)).toEqual(['网络不给力，请联网后再开始答题']);
  });

  test('no network and nothing kept: the error with 重新加载', async () => {
    const answers = [new NetworkError(), QUIZZES];
    const { page } = await openQuizzes({ api: fakeApi({ get: { '/api/quizzes': () => answers.shift() } }) });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    await page.onRetry();
    expect(page.data.state).toBe('ready');
  });
});

describe('成绩', () => {
  test('score, passed, right answers, points; each question with my answer, the key and the explanation', async () => {
    const { page, api } = await openResult();
    expect(api.get).toHaveBeenCalledWith(`/api/attempts/${EXAM_ATTEMPT_ID}/result`, { retry: false });
    const { result } = page.data;
    expect(result).toMatchObject({ scoreText: '63', passText: '通过', passLevel: 'ok', correctText: '答对 5/8 题', pointsText: '+5', pointsLabel: '学习积分', timedOut: false, revealed: true, wrongCount: 3 });
    expect(result.submittedText).toBe('2026-11-24 12:12');
    expect(result.items[2]).toMatchObject({ correct: false, givenText: 'A、B、C', answerText: 'A、B、C、D' });
    expect(result.items[2].options.map((o) => (o.key ? '√' : o.wrong ? '×' : '·')).join('')).toBe('√√√√');
    expect(result.items[2].options.map((o) => o.tag)).toEqual(['正确答案（已选）', '正确答案（已选）', '正确答案（已选）', '正确答案（漏选）']);
    expect(result.items[4].options.map((o) => o.tag)).toEqual(['正确答案', '您的选择', '', '']);
    expect(result.items[4].options.map((o) => (o.key ? '√' : o.wrong ? '×' : '·')).join('')).toBe('√×··');
    expect(result.items[7]).toMatchObject({ givenText: '未作答', correct: false });
    expect(result.items[3]).toMatchObject({ kindLabel: '判断题', givenText: '正确', answerText: '正确' });
    page.onToggleWrong();
    expect(page.data.shownItems.map((item) => item.position)).toEqual([3, 5, 8]);
    page.onToggleWrong();
    expect(page.data.shownItems).toHaveLength(8);
  });

  test('answers withheld until the quiz closes: says when, from the quiz list kept on the phone', async () => {
    const api = fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}/result`]: RESULT_HIDDEN }, cached: { '/api/quizzes': QUIZZES } });
    const { page } = await openResult({ api });
    expect(page.data.result).toMatchObject({ revealed: false, items: [], revealNote: '将于 11月30日 18:00 答题结束后公布' });
    const bare = await openResult({ api: fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}/result`]: RESULT_HIDDEN } }) });
    expect(bare.page.data.result.revealNote).toBe('将于答题结束后公布');
  });

  test('closed by the clock, with answers lost on the way: both said plainly', async () => {
    const api = fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}/result`]: RESULT_TIMEOUT } });
    const { page } = await openResult({ api, options: { attempt: String(EXAM_ATTEMPT_ID), lost: '2' } });
    expect(page.data.result).toMatchObject({ timedOut: true, passText: '未通过', passLevel: 'fail', pointsText: '0', pointsLabel: '本次未获得积分' });
    expect(page.data.lostText).toBe('有 2 题的答案因网络原因未能在截止前保存，未计入成绩');
  });

  test('not yet submitted: the server’s reason and 继续作答', async () => {
    const api = fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}/result`]: refusal(409, 'attempt_open', '尚未交卷，交卷后可查看成绩') } });
    const { page, wx } = await openResult({ api });
    expect(page.data).toMatchObject({ state: 'refused', stateMessage: '尚未交卷，交卷后可查看成绩', stillOpen: true });
    page.onContinue();
    expect(wx.redirected).toEqual([`/pages/quiz-take/index?attempt=${EXAM_ATTEMPT_ID}`]);
  });

  test('a contest: no pass mark, and the way to 积分榜; back goes to the list', async () => {
    const { page, wx } = await openResult({ options: { attempt: String(CONTEST_ATTEMPT_ID) } });
    expect(page.data.result).toMatchObject({ kindLabel: '竞答', passText: '', scoreText: '84' });
    page.onLeaderboard();
    page.onWrongBook();
    page.onBack();
    expect(wx.navigated).toEqual(['/pages/leaderboard/index', '/pages/wrong-answers/index']);
    expect(wx.backs).toBe(1);
  });

  test('offline: the error with 重新加载', async () => {
    const { page } = await openResult({ api: fakeApi({ get: { [`/api/attempts/${EXAM_ATTEMPT_ID}/result`]: new NetworkError() } }) });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
  });
});

describe('错题本', () => {
  test('each missed question with how often and when; true/false without its two obvious options', async () => {
    const { page } = await openWrongAnswers();
    expect(page.data).toMatchObject({ state: 'ready', total: 3, practiceLabel: '练习错题（3 题）' });
    expect(page.data.items.map((item) => [item.kindLabel, item.timesText, item.lastText, item.options.length])).toEqual([
      ['多选题', '答错 2 次', '最近 今天 11:12', 4],
      ['单选题', '答错 1 次', '最近 昨天 18:05', 4],
      ['判断题', '答错 1 次', '最近 11月2日 09:00', 0],
    ]);
  });

  test('练习错题 starts a round from the book and opens it', async () => {
    const { page, api, wx } = await openWrongAnswers();
    await page.onPractice();
    expect(api.post).toHaveBeenCalledWith('/api/me/wrong-answers/practice', { count: 10 });
    expect(wx.navigated).toEqual([`/pages/quiz-take/index?attempt=${PRACTICE_ATTEMPT_ID}`]);
    expect(page.data.starting).toBe(false);
  });

  test('the server’s refusal is shown; the page stays', async () => {
    const api = fakeApi({ post: { '/api/me/wrong-answers/practice': refusal(409, 'wrong_book_empty', '错题本里没有需要练习的题目') } });
    const { page, wx } = await openWrongAnswers({ api });
    await page.onPractice();
    expect(wx.toasts.map((t) => t.title)).toEqual(['错题本里没有需要练习的题目']);
    expect(wx.navigated).toEqual([]);
  });

  test('empty says how the book fills and empties', async () => {
    const { page } = await openWrongAnswers({ api: fakeApi({ get: { '/api/me/wrong-answers': WRONG_BOOK_EMPTY } }) });
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '错题本是空的。答错的题会记在这里，练习答对后移出' });
  });
});

describe('我的积分', () => {
  test('total, today, each source with today’s share of its cap, the latest entries', async () => {
    const { page } = await openPoints();
    expect(page.data).toMatchObject({ state: 'ready', total: 128, todayText: '今日 +6' });
    expect(page.data.sources.map((s) => [s.label, s.total, s.todayText, s.full])).toEqual([
      ['每日练习', 46, '今日 5/5', true],
      ['考试', 60, '今日 0', false],
      ['竞答', 12, '今日 0/6', false],
      ['阅读手机报', 10, '今日 1/6', false],
    ]);
    expect(page.data.recent.map((e) => [e.label, e.note, e.pointsText, e.when])).toEqual([
      ['每日练习', '每日练习：党章学习', '+5', '今天 11:20'],
      ['阅读手机报', '冬季防寒过冬专项部署：确保线路设备安全稳定', '+1', '今天 09:40'],
      ['考试', '党的二十大精神学习测试', '+10', '11月10日 10:30'],
      ['竞答', '国庆党史知识竞答', '+6', '10月5日 15:00'],
    ]);
  });

  test('阅读手机报 only where there is a newspaper or points from it', async () => {
    const noPaper = { ...POINTS, by_source: { ...POINTS.by_source, reading: 0 } };
    const { page } = await openPoints({ api: fakeApi({ get: { '/api/me/points': noPaper }, cached: { '/api/home': { ...HOME, features: ['meetings', 'study'] } } }) });
    expect(page.data.sources.map((s) => s.label)).toEqual(['每日练习', '考试', '竞答']);
  });

  test('nothing yet: says how points are earned', async () => {
    const { page } = await openPoints({ api: fakeApi({ get: { '/api/me/points': POINTS_EMPTY } }) });
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '还没有学习积分。参加每日练习、考试和竞答，阅读手机报，都可以获得积分' });
    page.onLeaderboard();
  });
});

describe('积分榜', () => {
  test('my branch, all time: my row marked where the server says it is me; my standing on top', async () => {
    const { page, api } = await openLeaderboard();
    expect(api.get).toHaveBeenCalledWith('/api/leaderboard?scope=branch&period=all', { retry: false, cache: true });
    expect(page.data).toMatchObject({ state: 'ready', boardTitle: '甲一支部 · 总榜', myRankText: '第 4 名', myPointsText: '128 分', myHint: '' });
    expect(page.data.rows.filter((row) => row.mine).map((row) => row.name)).toEqual(['张三']); // not 刘洋, level with me
    expect(page.data.rows.map((row) => row.top)).toEqual([1, 2, 3, 0, 0, 0, 0]);
    expect(page.data.rows[0].org).toBe(''); // one branch: its name once, in the title
  });

  test('the committee: each with their branch; I am below the list, so only my line says where', async () => {
    const { page } = await openLeaderboard();
    await page.onScope({ currentTarget: { dataset: { key: 'committee' } } });
    expect(page.data).toMatchObject({ scope: 'committee', boardTitle: '中建某局党委 · 总榜', myRankText: '第 37 名' });
    expect(page.data.rows[0]).toMatchObject({ name: '周志强', org: '机关第二支部' });
    expect(page.data.rows.some((row) => row.mine)).toBe(false);
  });

  test('this month with nobody yet: says so, and that I am not on it', async () => {
    const { page } = await openLeaderboard();
    await page.onPeriod({ currentTarget: { dataset: { key: 'month' } } });
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '本月还没有人获得积分', myRankText: '暂未上榜', myHint: '参加答题获得积分后即可上榜' });
  });

  test('a late answer for the tab left behind does not overwrite the one chosen since', async () => {
    let release;
    const api = fakeApi({ get: { '/api/leaderboard?scope=branch&period=all': () => new Promise((resolve) => { release = () => resolve(BOARD_BRANCH); }) }, cached: { '/api/home': HOME } });
    const { createLeaderboardPage } = require('../pages/leaderboard/logic');
    const page = mountPage(createLeaderboardPage({ api, wx: phone() }));
    const first = page.onLoad({});
    await page.onScope({ currentTarget: { dataset: { key: 'committee' } } });
    release();
    await first;
    expect(page.data).toMatchObject({ scope: 'committee', boardTitle: '中建某局党委 · 总榜' });
  });

  test('two members of my name level on points: only the row the server marks as me is mine', async () => {
    const twin = { ...BOARD_BRANCH, items: BOARD_BRANCH.items.map((row) => (row.name === '刘洋' ? { ...row, name: '张三', is_me: false } : row)) };
    const { page } = await openLeaderboard({ api: fakeApi({ get: { '/api/leaderboard?scope=branch&period=all': twin }, cached: { '/api/home': HOME } }) });
    expect(page.data.rows.filter((row) => row.name === '张三').map((row) => row.mine)).toEqual([false, true]);
    expect(page.data.myRankText).toBe('第 4 名');
  });
});

describe('the ways in', () => {
  test('首页: 学习 and its card open the quiz list where the server offers study', async () => {
    const wx = phone();
    wx.switchTab = jest.fn();
    const api = fakeApi({ get: { '/api/home': { ...HOME, open_quizzes: 2 } } });
    const page = mountPage(createHomePage({ api, wx, now: () => NOW }));
    await page.onShow();
    expect(page.data.entries.map((e) => e.label)).toContain('学习');
    expect(page.data.cards.find((c) => c.key === 'quiz')).toMatchObject({ title: '学习答题', text: '2 个答题进行中', link: '/pages/quizzes/index' });
    await page.onEntry({ currentTarget: { dataset: { key: 'study' } } });
    expect(wx.navigated).toEqual(['/pages/quizzes/index']);
  });

  test('我的: 学习答题 and 我的积分 where the home answer kept on the phone lists study', async () => {
    const me = { name: '张三', gender: '男', branch: { name: '甲一支部' }, group: null, status_label: '正式党员', join_date: null, full_member_date: null, phone: null, id_card: null, dues_category_label: '在职', dues_base_fen: 500000 };
    const open = async (cached) => {
      const wx = phone();
      const api = { ...fakeApi({ get: { '/api/me': me }, cached }), logout: jest.fn(), unbind: jest.fn() };
      const page = mountPage(createProfilePage({ api, wx }));
      await page.onShow();
      return { page, wx };
    };
    const without = await open({});
    expect(without.page.data.study).toBe(false);
    const { page, wx } = await open({ '/api/home': HOME });
    expect(page.data.study).toBe(true);
    page.openQuizzes();
    page.openPoints();
    expect(wx.navigated).toEqual(['/pages/quizzes/index', '/pages/points/index']);
  });
});

test('RESULT in the fakes marks exactly the questions whose answer differs from the key', () => {
  expect(RESULT.items.filter((item) => !item.correct).map((item) => item.position)).toEqual([3, 5, 8]);
});
