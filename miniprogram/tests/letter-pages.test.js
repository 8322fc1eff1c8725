// 写信, 我的信件, 信件 and 留言板: the page logic against a fake server (answers shaped as tests/letter-contract.js
// says, which the first test holds them to), then each page's WXML rendered in its states and saved as a
// phone screenshot.
const { createFakeWx, mountPage } = require('./fake-wx');
const { renderWithComponents: render, textOf, texts, componentTexts } = require('./render');
const { saveScreen } = require('./screen');
const { sampleProblems } = require('./openapi-check');
const { LETTER_CONTRACT } = require('./letter-contract');
const { ApiError } = require('../utils/api');
const { createLetterNewPage } = require('../pages/letter-new/logic');
const { createLettersPage } = require('../pages/letters/logic');
const { createLetterPage, NOT_FOUND } = require('../pages/letter/logic');
const { createBoardPage } = require('../pages/board/logic');
const config = require('../config');

const NOTE = '勾选后，阅信人看不到您的姓名；系统仍保存写信人，仅用于处理恶意信件。';
const MAILBOXES = {
  mailboxes: [
    { addressee: 'secretary', label: '书记信箱', org_name: '第一项目部党支部' },
    { addressee: 'committee', label: '党委信箱', org_name: '中建华东工程有限公司党委' },
  ],
  anonymity_note: NOTE,
};
const letter = (extra = {}) => ({
  id: 7,
  addressee: 'secretary',
  addressee_label: '书记信箱',
  org_name: '第一项目部党支部',
  subject: '夜班工友的就餐问题',
  body: '项目部夜班结束已是凌晨，食堂早已关门。',
  anonymous: true,
  status: 'received',
  status_label: '待受理',
  received_at: '2026-11-24T01:30:00+00:00',
  reply: '',
  replied_at: null,
  ...extra,
});
const REPLIED = letter({ id: 8, anonymous: false, subject: '建议把党课放到周五', status: 'replied', status_label: '已回复', reply: '从下月起改到周五下午。', replied_at: '2026-11-25T02:00:00+00:00' });
const BOARD = {
  branch_name: '第一项目部党支部',
  premoderated: true,
  posts: [
    { id: 3, author: '张伟', body: '周六上午义务植树，欢迎参加。', created_at: '2026-11-24T01:30:00+00:00', mine: false, status: 'visible' },
    { id: 4, author: '我', body: '能否去纪念馆参观？', created_at: '2026-11-24T02:30:00+00:00', mine: true, status: 'pending' },
  ],
};
const SAMPLES = { 'get /api/mailbox': MAILBOXES, 'post /api/letters': letter(), 'get /api/letters': { letters: [letter(), REPLIED] }, 'get /api/letters/{}': REPLIED, 'get /api/board': BOARD, 'post /api/board': BOARD.posts[1] };

function fakeApi({ get = {}, post = {} } = {}) {
  const answer = (table, path, body) => {
    const found = table[path];
    const value = typeof found === 'function' ? found(body) : found;
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  };
  return {
    calls: [],
    get: jest.fn(function (path) {
      this.calls.push(['GET', path]);
      return answer({ '/api/mailbox': MAILBOXES, '/api/letters': { letters: [letter(), REPLIED] }, '/api/letters/8': REPLIED, '/api/board': BOARD, ...get }, path);
    }),
    post: jest.fn(function (path, body) {
      this.calls.push(['POST', path, body]);
      return answer({ '/api/letters': letter(), '/api/board': BOARD.posts[1], '/api/me/subscriptions': {}, ...post }, path, body);
    }),
  };
}

function phone() {
  const wx = createFakeWx({ handler: () => ({ statusCode: 200, data: {} }) });
  wx.navigated = [];
  wx.dialogs = [];
  wx.navigateTo = ({ url }) => wx.navigated.push(url);
  wx.redirectTo = ({ url }) => wx.navigated.push(url);
  wx.stopPullDownRefresh = () => {};
  wx.requestSubscribeMessage = ({ tmplIds, success }) => {
    wx.dialogs.push(tmplIds);
    success(Object.fromEntries(tmplIds.map((id) => [id, 'accept'])));
  };
  return wx;
}

const stateText = (comp) => componentTexts(comp, 'page-state__text');

test('the fakes answer as the contract says the server does', () => {
  for (const entry of LETTER_CONTRACT) {
    expect([entry.path, sampleProblems(SAMPLES[`${entry.method} ${entry.path}`], entry)]).toEqual([entry.path, []]);
  }
});

describe('写信', () => {
  async function open(api = fakeApi(), options = {}) {
    const wx = phone();
    const page = mountPage(createLetterNewPage({ api, wx }));
    await page.onLoad(options);
    return { page, wx, api };
  }

  test('the two mailboxes, the secretary chosen, and the note on anonymity from the server', async () => {
    const { page } = await open();
    expect(page.data.mailboxes.map((b) => b.text)).toEqual(['书记信箱（第一项目部党支部）', '党委信箱（中建华东工程有限公司党委）']);
    expect(page.data).toMatchObject({ state: 'ready', addressee: 'secretary', anonymous: false, note: NOTE });
    saveScreen(render('letter-new', page.data), 'letter-new', 'empty');
  });

  test('an anonymous letter to the committee: consent asked from the tap, then sent, then its page', async () => {
    const { page, wx, api } = await open();
    page.onAddressee({ currentTarget: { dataset: { addressee: 'committee' } } });
    page.onSubject({ detail: { value: ' 分包拖欠工资 ' } });
    page.onBody({ detail: { value: '三号楼劳务分包拖欠两个月工资。' } });
    page.onAnonymous({ detail: { value: ['yes'] } });
    const comp = render('letter-new', page.data);
    expect(textOf(comp, '.note')).toBe(NOTE);
    expect(texts(comp, '.box--on')).toEqual(['党委信箱（中建华东工程有限公司党委）']);
    saveScreen(comp, 'letter-new', 'filled');
    await page.onSend();
    expect(wx.dialogs).toEqual([[config.subscribeTemplates.letter_reply]]);
    expect(api.calls.find(([m, p]) => m === 'POST' && p === '/api/letters')[2]).toEqual({
      addressee: 'committee',
      subject: '分包拖欠工资',
      body: '三号楼劳务分包拖欠两个月工资。',
      anonymous: true,
    });
    expect(wx.navigated).toEqual(['/pages/letter/index?id=7']);
  });

  test('nothing is sent without a subject and a body', async () => {
    const { page, api } = await open();
    await page.onSend();
    expect(page.data.problem).toBe('请填写主题');
    expect(api.post).not.toHaveBeenCalled();
  });

  test('the daily limit is shown in the server’s words under the form', async () => {
    const limit = new ApiError(429, 'letter_limit', '24 小时内最多写 5 封信，您已写满，请明天再写');
    const { page } = await open(fakeApi({ post: { '/api/letters': limit } }));
    page.onSubject({ detail: { value: '主题' } });
    page.onBody({ detail: { value: '内容' } });
    await page.onSend();
    expect(page.data).toMatchObject({ problem: '24 小时内最多写 5 封信，您已写满，请明天再写', sending: false });
    const comp = render('letter-new', page.data);
    expect(textOf(comp, '.problem')).toBe('24 小时内最多写 5 封信，您已写满，请明天再写');
    saveScreen(comp, 'letter-new', 'limit');
  });
});

describe('我的信件 and 信件', () => {
  test('my letters, newest first, with their mailbox, day and status', async () => {
    const wx = phone();
    const page = mountPage(createLettersPage({ api: fakeApi(), wx }));
    await page.onShow();
    expect(page.data.letters.map((l) => [l.subject, l.statusLabel, l.box])).toEqual([
      ['夜班工友的就餐问题', '待受理', '书记信箱 · 第一项目部党支部'],
      ['建议把党课放到周五', '已回复', '书记信箱 · 第一项目部党支部'],
    ]);
    const comp = render('letters', page.data);
    expect(texts(comp, '.status')).toEqual(['待受理', '已回复']);
    saveScreen(comp, 'letters', 'list');
    page.onOpen({ currentTarget: { dataset: { id: 8 } } });
    expect(wx.navigated).toEqual(['/pages/letter/index?id=8']);
  });

  test('no letters yet says so', async () => {
    const page = mountPage(createLettersPage({ api: fakeApi({ get: { '/api/letters': { letters: [] } } }), wx: phone() }));
    await page.onShow();
    const comp = render('letters', page.data);
    expect(stateText(comp)).toEqual(['还没有写过信']);
    saveScreen(comp, 'letters', 'empty');
  });

  test('a replied letter shows the reply under it', async () => {
    const page = mountPage(createLetterPage({ api: fakeApi(), wx: phone() }));
    await page.onLoad({ id: '8' });
    const comp = render('letter', page.data);
    expect(textOf(comp, '.reply__body')).toBe('从下月起改到周五下午。');
    expect(textOf(comp, '.reply__head')).toMatch(/^回复 · /);
    saveScreen(comp, 'letter', 'replied');
  });

  test('a letter waiting says it was delivered; another member’s letter is not found', async () => {
    const page = mountPage(createLetterPage({ api: fakeApi({ get: { '/api/letters/7': letter() } }), wx: phone() }));
    await page.onLoad({ id: '7' });
    const comp = render('letter', page.data);
    expect(textOf(comp, '.waiting')).toBe('已送达，等待受理');
    saveScreen(comp, 'letter', 'waiting');
    const missing = mountPage(createLetterPage({ api: fakeApi({ get: { '/api/letters/9': new ApiError(404, 'not_found', '信件不存在') } }), wx: phone() }));
    await missing.onLoad({ id: '9' });
    expect(missing.data).toMatchObject({ state: 'error', stateMessage: NOT_FOUND });
  });
});

describe('留言板', () => {
  test('my branch’s posts, mine waiting marked 待审核; posting reloads the board', async () => {
    const wx = phone();
    const api = fakeApi();
    const page = mountPage(createBoardPage({ api, wx }));
    await page.onLoad();
    const comp = render('board', page.data);
    expect(texts(comp, '.post__author')).toEqual(['张伟', '我']);
    expect(texts(comp, '.post__waiting')).toEqual(['待审核']);
    expect(textOf(comp, '.hint')).toBe('本支部留言经书记审核后显示');
    saveScreen(comp, 'board', 'list');
    page.onDraft({ detail: { value: '能否去纪念馆参观？' } });
    await page.onPost();
    expect(api.calls.filter(([m]) => m === 'POST')).toEqual([['POST', '/api/board', { body: '能否去纪念馆参观？' }]]);
    expect(wx.toasts[0].title).toBe('已提交，书记审核后显示');
  });

  test('an empty board invites the first post', async () => {
    const page = mountPage(createBoardPage({ api: fakeApi({ get: { '/api/board': { ...BOARD, posts: [], premoderated: false } } }), wx: phone() }));
    await page.onLoad();
    const comp = render('board', page.data);
    expect(stateText(comp)).toEqual(['还没有留言，来说第一句吧']);
    saveScreen(comp, 'board', 'empty');
  });
});
