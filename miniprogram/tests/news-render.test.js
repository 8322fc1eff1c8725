// 消息 and 手机报 as a member sees them: each page's own WXML with its components, in every state, with
// the data its logic produced from the fake server. Each state is saved as a phone screenshot.
const { renderWithComponents: render, textOf, find, texts, componentTexts } = require('./render');
const { saveScreen } = require('./screen');
const { INBOX, INBOX_MORE, INBOX_EMPTY, ISSUE, ARTICLE, subscriptions, fakeApi, openInbox, openIssue, openArticle } = require('./news-fakes');
const { FIRST_PAGE } = require('../pages/inbox/logic');
const { NetworkError, ApiError } = require('../utils/api');

const stateText = (comp) => componentTexts(comp, 'page-state__text');
const squash = (comp, selector) => texts(comp, selector).map((t) => t.replace(/\s+/g, ''));
// what the template gave an element (the nodes of a <rich-text>, say): simulate keeps it on its own node
const attrOf = (comp, selector, name) => {
  const attrs = find(comp, selector).__wxElement._vt.attrs;
  const found = attrs.find((attr) => attr.name === name);
  return found ? found.value : undefined;
};

afterEach(() => {
  delete global.getApp;
});

function offline() {
  global.getApp = () => ({ watchNetwork: (listener) => (listener(false), () => {}) });
}

describe('消息', () => {
  test('loading: nothing pretended, no subscribe button yet', () => {
    const comp = render('inbox', { state: 'loading', items: [], canSubscribe: true });
    expect(stateText(comp)).toEqual(['加载中…']);
    expect(find(comp, '.subscribe')).toBeNull();
    saveScreen(comp, 'inbox', 'loading');
  });

  test('the list: unread dots and bold titles, kind and time, subtitle, cover; 订阅手机报推送 on top', async () => {
    const { page } = await openInbox();
    const comp = render('inbox', page.data);
    expect(textOf(comp, '.unread-count')).toBe('2 条未读');
    expect(squash(comp, '.message__head')).toEqual(['手机报今天09:30', '手机报昨天18:05', '手机报11月17日']);
    expect(texts(comp, '.message--unread .message__title')).toEqual(['安全生产月特刊：冬季防寒过冬专项部署', '学习贯彻党的二十届四中全会精神']);
    expect(comp.querySelectorAll('.message__dot')).toHaveLength(2);
    expect(comp.querySelectorAll('.message__cover')).toHaveLength(2);
    expect(texts(comp, '.message__subtitle')[0]).toBe('第 37 期 · 北京铁路局集团公司党委');
    expect(textOf(comp, '.subscribe__button')).toBe('订阅手机报推送');
    expect(textOf(comp, '.subscribe__status')).toBe('未订阅：新一期只在这里显示，不发微信通知');
    expect(find(comp, '.more')).toBeNull(); // more to load, nothing to say yet
    saveScreen(comp, 'inbox', 'list');
  });

  test('subscribed, all read, and the end of the list', async () => {
    const read = { items: INBOX.items.concat(INBOX_MORE.items).map((item) => ({ ...item, unread: false })), next_cursor: null, unread: 0 };
    const { page } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: read, '/api/me/subscriptions': subscriptions(2) } }) });
    const comp = render('inbox', page.data);
    expect(textOf(comp, '.unread-count')).toBe('全部已读');
    expect(find(comp, '.message__dot')).toBeNull();
    expect(textOf(comp, '.subscribe__status')).toBe('已订阅，还可收到 2 次推送');
    expect(textOf(comp, '.subscribe__button')).toBe('再订阅一次');
    expect(textOf(comp, '.more--end')).toBe('没有更多了');
    saveScreen(comp, 'inbox', 'subscribed');
  });

  test('loading more, and a page that failed to load', async () => {
    const { page } = await openInbox({ api: fakeApi({ get: { '/api/inbox?cursor=c-44&limit=20': new NetworkError() } }) });
    expect(textOf(render('inbox', { ...page.data, more: 'loading' }), '.more--loading')).toBe('加载中…');
    await page.onReachBottom();
    const comp = render('inbox', page.data);
    expect(textOf(comp, '.more--error')).toBe('加载失败，点此重试');
    saveScreen(comp, 'inbox', 'more-error');
  });

  test('empty: where issues will appear, and the subscribe button still there', async () => {
    const { page } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: INBOX_EMPTY } }) });
    const comp = render('inbox', page.data);
    expect(stateText(comp)).toEqual(['还没有收到消息。通知和手机报发布后会出现在这里']);
    expect(textOf(comp, '.subscribe__button')).toBe('订阅手机报推送');
    expect(find(comp, '.list')).toBeNull();
    saveScreen(comp, 'inbox', 'empty');
  });

  test('error: the reason and 重新加载', async () => {
    const { page } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: new NetworkError() } }) });
    const comp = render('inbox', page.data);
    expect(stateText(comp)).toEqual(['网络不给力，请检查网络后重试']);
    expect(componentTexts(comp, 'page-state__retry')).toEqual(['重新加载']);
    expect(find(comp, '.subscribe')).toBeNull();
    saveScreen(comp, 'inbox', 'error');
  });

  test('offline with the last list kept: the banner and the stale note', async () => {
    const { page } = await openInbox({ api: fakeApi({ get: { [FIRST_PAGE]: new NetworkError() }, cached: INBOX }) });
    offline();
    const comp = render('inbox', page.data);
    expect(textOf(comp, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    expect(textOf(comp, '.stale')).toBe('网络不给力，显示的是上次加载的内容，下拉可刷新');
    expect(comp.querySelectorAll('.message')).toHaveLength(3);
    saveScreen(comp, 'inbox', 'offline');
  });
});

describe('手机报 issue', () => {
  test('loading', () => {
    const comp = render('news-issue', { state: 'loading', issue: null, lead: null, articles: [] });
    expect(stateText(comp)).toEqual(['加载中…']);
    expect(find(comp, '.masthead')).toBeNull();
    saveScreen(comp, 'news-issue', 'loading');
  });

  test('第 N 期 masthead, the lead article with its cover, the others with their marks', async () => {
    const { page } = await openIssue();
    const comp = render('news-issue', page.data);
    expect(textOf(comp, '.masthead__number')).toBe('第 37 期');
    expect(textOf(comp, '.masthead__title')).toBe('安全生产月特刊');
    expect(textOf(comp, '.masthead__meta')).toBe('北京铁路局集团公司党委 · 2026年11月24日');
    expect(textOf(comp, '.lead__title')).toBe(ISSUE.articles[0].title);
    expect(find(comp, '.lead__cover')).not.toBeNull();
    expect(squash(comp, '.lead .mark')).toEqual(['已读', '已赞']);
    expect(texts(comp, '.article__title')).toEqual([ISSUE.articles[1].title, ISSUE.articles[2].title]);
    expect(squash(comp, '.article .marks')).toEqual(['已读']);
    expect(comp.querySelectorAll('.article__cover')).toHaveLength(1);
    expect(comp.querySelectorAll('.article__summary')).toHaveLength(1); // the third has none
    saveScreen(comp, 'news-issue', 'list');
  });

  test('nothing read yet: no marks', async () => {
    const fresh = { ...ISSUE, articles: ISSUE.articles.map((a) => ({ ...a, read: false, liked: false })) };
    const { page } = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': fresh } }) });
    const comp = render('news-issue', page.data);
    expect(find(comp, '.mark')).toBeNull();
    saveScreen(comp, 'news-issue', 'unread');
  });

  test('an issue without articles: its masthead, and says so', async () => {
    const { page } = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': { ...ISSUE, articles: [] } } }) });
    const comp = render('news-issue', page.data);
    expect(textOf(comp, '.masthead__number')).toBe('第 37 期');
    expect(stateText(comp)).toEqual(['这一期还没有文章']);
    saveScreen(comp, 'news-issue', 'empty');
  });

  test('withdrawn: says so; offline: the banner and 重新加载', async () => {
    const gone = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': new ApiError(404, 'not_found', '没有找到') } }) });
    const comp = render('news-issue', gone.page.data);
    expect(stateText(comp)).toEqual(['没有找到这一期手机报，可能已撤回']);
    saveScreen(comp, 'news-issue', 'error');
    const { page } = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': new NetworkError() } }) });
    offline();
    const off = render('news-issue', page.data);
    expect(textOf(off, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    expect(componentTexts(off, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(off, 'news-issue', 'offline');
  });
});

describe('手机报 article', () => {
  test('loading', () => {
    const comp = render('news-article', { state: 'loading', article: null });
    expect(stateText(comp)).toEqual(['加载中…']);
    expect(find(comp, '.actions')).toBeNull();
    saveScreen(comp, 'news-article', 'loading');
  });

  test('title, day, cover, summary, the body in rich-text, the end marker, 点赞 and 转发', async () => {
    const { page } = await openArticle();
    const comp = render('news-article', page.data);
    expect(textOf(comp, '.article__title')).toBe(ARTICLE.title);
    expect(textOf(comp, '.article__meta')).toBe('2026年11月24日');
    expect(find(comp, '.article__cover')).not.toBeNull();
    expect(textOf(comp, '.article__summary')).toBe(ARTICLE.summary);
    expect(attrOf(comp, '.article__body', 'nodes')).toBe(page.data.article.html);
    expect(textOf(comp, '.article__end')).toBe('— 全文完 —');
    expect(textOf(comp, '.action--like')).toBe('点赞 12');
    expect(find(comp, '.action--liked')).toBeNull();
    expect(textOf(comp, '.action--share')).toBe('转发给同事');
    expect(attrOf(comp, '.action--share', 'open-type')).toBe('share');
    saveScreen(comp, 'news-article', 'ready');
  });

  test('liked: the button says so in the brand colour', async () => {
    const { page } = await openArticle();
    await page.onLike();
    const comp = render('news-article', page.data);
    expect(textOf(comp, '.action--liked')).toBe('已赞 13');
    saveScreen(comp, 'news-article', 'liked');
  });

  test('opened from a forward: the same article, its own 转发 again', async () => {
    const { page, api } = await openArticle({ options: { id: '101', share: 's-fwd-91c0' } });
    expect(api.get).toHaveBeenCalledWith('/api/newspaper/articles/101?share=s-fwd-91c0', { retry: false });
    const comp = render('news-article', page.data);
    expect(textOf(comp, '.article__title')).toBe(ARTICLE.title);
    expect(page.onShareAppMessage({ from: 'button' }).path).toBe(ARTICLE.share_path);
    saveScreen(comp, 'news-article', 'shared');
  });

  test('withdrawn, and offline', async () => {
    const gone = await openArticle({ api: fakeApi({ get: { '/api/newspaper/articles/101': new ApiError(404, 'not_found', '没有找到') } }) });
    const comp = render('news-article', gone.page.data);
    expect(stateText(comp)).toEqual(['没有找到这篇文章，可能已撤回']);
    expect(find(comp, '.actions')).toBeNull();
    saveScreen(comp, 'news-article', 'error');
    const { page } = await openArticle({ api: fakeApi({ get: { '/api/newspaper/articles/101': new NetworkError() } }) });
    offline();
    const off = render('news-article', page.data);
    expect(textOf(off, '.offline-banner')).toBe('网络已断开，显示的可能不是最新内容');
    expect(componentTexts(off, 'page-state__retry')).toEqual(['重新加载']);
    saveScreen(off, 'news-article', 'offline');
  });
});
