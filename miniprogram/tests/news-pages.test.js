// 手机报: an issue and an article as the page logic shows them, from the fake server — read marks, the
// like that changes at once and goes back on a refusal, the forward, and "read to the end" told once.
const { ISSUE, ARTICLE, SHARE_PATH, SHARED, fakeApi, phone, openIssue, openArticle, flush } = require('./news-fakes');
const { MIN_READ_MS, likeLabel, articleView } = require('../pages/news-article/logic');
const { phoneHtml, mediaUrl, sharePathFor, idFrom } = require('../utils/newspaper');
const { beijingDay, arrivedText } = require('../utils/time');
const { NetworkError, ApiError } = require('../utils/api');
const config = require('../config');

const notFound = new ApiError(404, 'not_found', '没有找到');
const finishCalls = (api) => api.calls.filter(([method, path]) => method === 'POST' && path.endsWith('/finish'));

describe('an issue', () => {
  test('第 N 期, the publisher, the day in Beijing time, the articles with their marks', async () => {
    const { page, api } = await openIssue();
    expect(api.get).toHaveBeenCalledWith('/api/newspaper/issues/12', { retry: false });
    expect(page.data.state).toBe('ready');
    expect(page.data.issue).toEqual({ id: 12, numberText: '第 37 期', title: '安全生产月特刊', org: '北京铁路局集团公司党委', date: '2026年11月24日' });
    expect(page.data.lead).toMatchObject({ id: 101, read: true, liked: true, cover: `${config.apiBase}/media/news/a101.jpg` });
    expect(page.data.articles.map((a) => [a.id, a.read, a.liked, a.cover])).toEqual([
      [102, true, false, `${config.apiBase}/media/news/a102.jpg`],
      [103, false, false, ''],
    ]);
  });

  test('an article opens its page', async () => {
    const { page, wx } = await openIssue();
    page.onOpen({ currentTarget: { dataset: { id: 103 } } });
    expect(wx.navigated).toEqual(['/pages/news-article/index?id=103']);
  });

  test('coming back from an article asks again quietly, so its marks follow', async () => {
    let answer = ISSUE;
    const { page } = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': () => answer } }) });
    expect(page.data.articles[1].read).toBe(false);
    answer = { ...ISSUE, articles: ISSUE.articles.map((a) => ({ ...a, read: true })) };
    await page.onShow();
    expect(page.data.state).toBe('ready');
    expect(page.data.articles[1].read).toBe(true);
  });

  test('withdrawn, or not sent to me: 404 says so plainly', async () => {
    const { page } = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': notFound } }) });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '没有找到这一期手机报，可能已撤回', issue: null });
  });

  test('a bad id in the link asks nothing of the server', async () => {
    const { page, api } = await openIssue({ options: { id: '12abc' } });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '没有找到这一期手机报，可能已撤回' });
    expect(api.get).not.toHaveBeenCalled();
  });

  test('a network failure shows 重新加载, and reconnecting loads it', async () => {
    let fail = true;
    const { page } = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': () => (fail ? new NetworkError() : ISSUE) } }) });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '网络不给力，请检查网络后重试' });
    fail = false;
    await page.onReconnect();
    expect(page.data.state).toBe('ready');
  });

  test('an issue without articles says so under its masthead', async () => {
    const { page } = await openIssue({ api: fakeApi({ get: { '/api/newspaper/issues/12': { ...ISSUE, articles: [] } } }) });
    expect(page.data).toMatchObject({ state: 'empty', stateMessage: '这一期还没有文章' });
    expect(page.data.issue.numberText).toBe('第 37 期');
  });
});

describe('an article', () => {
  test('title, day, cover and the body laid out for the phone', async () => {
    const { page, api } = await openArticle();
    expect(api.get).toHaveBeenCalledWith('/api/newspaper/articles/101', { retry: false });
    expect(page.data).toMatchObject({ state: 'ready', liked: false, likes: 12, likeText: '点赞 12', sharePath: SHARE_PATH });
    expect(page.data.article).toMatchObject({ title: ARTICLE.title, date: '2026年11月24日', issueId: 12 });
    expect(page.data.article.html).toContain(`<img src="${config.apiBase}/media/news/body-101-1.jpg" alt="现场检查" width="1080" height="720" style="max-width:100%;`);
    expect(page.data.article.html).toContain('<strong>头等大事</strong>');
  });

  test('opened from a forward: the sharer’s token goes with the GET', async () => {
    const { api } = await openArticle({ options: { id: '101', share: 's-fwd-91c0' } });
    expect(api.get).toHaveBeenCalledWith('/api/newspaper/articles/101?share=s-fwd-91c0', { retry: false });
  });

  test('a token that is not one is left out', async () => {
    const { api } = await openArticle({ options: { id: '101', share: 'x&liked=1' } });
    expect(api.get).toHaveBeenCalledWith('/api/newspaper/articles/101', { retry: false });
  });

  test('withdrawn: 404 says so plainly', async () => {
    const { page } = await openArticle({ api: fakeApi({ get: { '/api/newspaper/articles/101': notFound } }) });
    expect(page.data).toMatchObject({ state: 'error', stateMessage: '没有找到这篇文章，可能已撤回' });
  });

  describe('read to the end', () => {
    test('the end marker is watched once the article is on screen', async () => {
      const { wx } = await openArticle();
      expect(wx.observed.map((o) => [o.selector, o.observer.viewport])).toEqual([['.article__end', { bottom: 0 }]]);
    });

    test('told once when the end comes into view after the member has had the article a while', async () => {
      const clock = { t: 1000 };
      const { page, api, wx } = await openArticle({ clock });
      clock.t += MIN_READ_MS + 5000;
      wx.endMarker(true);
      wx.endMarker(false);
      wx.endMarker(true);
      page.onReachBottom();
      await flush();
      expect(finishCalls(api)).toEqual([['POST', '/api/newspaper/articles/101/finish', {}, { retry: false }]]);
    });

    test('an end in view at once (a short article) counts only after MIN_READ_MS, if still in view', async () => {
      const clock = { t: 0 };
      const { api, wx, timers } = await openArticle({ clock });
      wx.endMarker(true);
      expect(finishCalls(api)).toEqual([]);
      expect(timers.pending.map((t) => t.ms)).toEqual([MIN_READ_MS]);
      clock.t = MIN_READ_MS;
      timers.fireNext();
      expect(finishCalls(api)).toHaveLength(1);
    });

    test('scrolled away before MIN_READ_MS: not counted until the end is seen again', async () => {
      const clock = { t: 0 };
      const { api, wx, timers } = await openArticle({ clock });
      wx.endMarker(true);
      clock.t = 500;
      wx.endMarker(false); // the pictures loaded and pushed the end down
      clock.t = MIN_READ_MS;
      timers.fireNext();
      expect(finishCalls(api)).toEqual([]);
      clock.t = 60000;
      wx.endMarker(true);
      expect(finishCalls(api)).toHaveLength(1);
    });

    test('reaching the bottom counts too (no observer on an old phone)', async () => {
      const wx = phone();
      delete wx.createIntersectionObserver;
      const clock = { t: 0 };
      const { page, api } = await openArticle({ wx, clock });
      clock.t = 20000;
      page.onReachBottom();
      expect(finishCalls(api)).toHaveLength(1);
    });

    test('a report lost to the network goes again when the connection is back', async () => {
      let fail = true;
      const api = fakeApi({ post: { '/api/newspaper/articles/101/finish': () => (fail ? new NetworkError() : '') } });
      const clock = { t: 0 };
      const { page, wx } = await openArticle({ api, clock });
      clock.t = 20000;
      wx.endMarker(true);
      await flush();
      fail = false;
      await page.onReconnect();
      await flush();
      page.onReachBottom();
      await flush();
      expect(finishCalls(api)).toHaveLength(2); // the lost one and the one that arrived; no third
    });

    test('leaving the page stops watching', async () => {
      const clock = { t: 0 };
      const { page, wx, timers, api } = await openArticle({ clock });
      wx.endMarker(true);
      page.onUnload();
      expect(wx.observed[0].observer.disconnected).toBe(true);
      expect(timers.pending).toEqual([]);
      expect(finishCalls(api)).toEqual([]);
    });
  });

  describe('点赞', () => {
    test('the heart and count change at once, then take the server’s figures', async () => {
      const answer = { likes: 20, liked: true }; // others liked it meanwhile
      let settle;
      const api = fakeApi({ post: { '/api/newspaper/articles/101/like': () => new Promise((resolve) => (settle = resolve)) } });
      const { page } = await openArticle({ api });
      const liking = page.onLike();
      expect(page.data).toMatchObject({ liked: true, likes: 13, likeText: '已赞 13', liking: true });
      expect(api.post).toHaveBeenCalledWith('/api/newspaper/articles/101/like', { liked: true }, { retry: false });
      await page.onLike(); // a second tap while the first is on its way: ignored
      expect(api.post).toHaveBeenCalledTimes(1);
      settle(answer);
      await liking;
      expect(page.data).toMatchObject({ liked: true, likes: 20, likeText: '已赞 20', liking: false });
    });

    test('a refusal puts the heart and count back and says why', async () => {
      const api = fakeApi({ post: { '/api/newspaper/articles/101/like': new NetworkError() } });
      const { page, wx } = await openArticle({ api });
      await page.onLike();
      expect(page.data).toMatchObject({ liked: false, likes: 12, likeText: '点赞 12', liking: false });
      expect(wx.toasts.map((t) => t.title)).toEqual(['网络不给力，请检查网络后重试']);
    });

    test('taking a like back', async () => {
      const api = fakeApi({ get: { '/api/newspaper/articles/101': { ...ARTICLE, liked: true, likes: 1 } }, post: { '/api/newspaper/articles/101/like': { likes: 0, liked: false } } });
      const { page } = await openArticle({ api });
      expect(page.data.likeText).toBe('已赞 1');
      await page.onLike();
      expect(api.post).toHaveBeenCalledWith('/api/newspaper/articles/101/like', { liked: false }, { retry: false });
      expect(page.data).toMatchObject({ liked: false, likes: 0, likeText: '点赞' });
    });
  });

  describe('转发', () => {
    test('the card carries the server’s share path at once, and the recorded forward’s path when it answers', async () => {
      const { page, api } = await openArticle();
      const card = page.onShareAppMessage({ from: 'button' });
      expect(card).toMatchObject({ title: ARTICLE.title, path: SHARE_PATH, imageUrl: `${config.apiBase}/media/news/a101.jpg` });
      expect(api.post).toHaveBeenCalledWith('/api/newspaper/articles/101/share', {}, { retry: false });
      await expect(card.promise).resolves.toEqual({ title: ARTICLE.title, path: SHARED.share_path, imageUrl: `${config.apiBase}/media/news/a101.jpg` });
    });

    test('the forward not recorded (no network): the card still goes, with the page’s share path', async () => {
      const { page } = await openArticle({ api: fakeApi({ post: { '/api/newspaper/articles/101/share': new NetworkError() } }) });
      await expect(page.onShareAppMessage({ from: 'menu' }).promise).resolves.toMatchObject({ path: SHARE_PATH });
    });

    test('a share path that is not this page’s is never forwarded', async () => {
      const api = fakeApi({
        get: { '/api/newspaper/articles/101': { ...ARTICLE, share_path: 'https://elsewhere.example/x' } },
        post: { '/api/newspaper/articles/101/share': { share_path: '/pages/login/index?next=x' } },
      });
      const { page } = await openArticle({ api });
      const card = page.onShareAppMessage({ from: 'menu' });
      expect(card.path).toBe('/pages/news-article/index?id=101');
      await expect(card.promise).resolves.toMatchObject({ path: '/pages/news-article/index?id=101' });
    });

    test('from the menu before the article has loaded: the plain article, nothing recorded', async () => {
      const { page, api } = await openArticle({ api: fakeApi({ get: { '/api/newspaper/articles/101': new NetworkError() } }) });
      expect(page.onShareAppMessage({ from: 'menu' })).toEqual({ title: '手机报', path: '/pages/news-article/index?id=101' });
      expect(api.post).not.toHaveBeenCalled();
    });
  });
});

describe('the words and addresses the pages share', () => {
  test('pictures: the server’s own paths made whole, full addresses kept, nothing else', () => {
    expect(mediaUrl('/media/news/a.jpg')).toBe(`${config.apiBase}/media/news/a.jpg`);
    expect(mediaUrl('https://cdn.example.cn/a.jpg')).toBe('https://cdn.example.cn/a.jpg');
    expect(['', null, '//evil.example/a.jpg', 'javascript:alert(1)', 'data:image/png;base64,xx'].map(mediaUrl)).toEqual(['', '', '', '', '']);
  });

  test('a body’s pictures fit the screen; the rest of the sanitised body is left as the server sent it', () => {
    expect(phoneHtml('<p>一</p><img src="/m/a.jpg" alt="图" style="width:2000px"><img src="https://x.cn/b.png?a=1&amp;b=2"/>')).toBe(
      `<p>一</p><img src="${config.apiBase}/m/a.jpg" alt="图" style="max-width:100%;height:auto;display:block;margin:12px auto;">` +
        '<img src="https://x.cn/b.png?a=1&amp;b=2" style="max-width:100%;height:auto;display:block;margin:12px auto;">',
    );
    expect(phoneHtml('<blockquote>安全是铁路永恒的主题。</blockquote>')).toBe(
      '<blockquote style="margin:12px 0;padding:4px 12px;border-left:3px solid #ddd;color:#555;">安全是铁路永恒的主题。</blockquote>',
    );
    expect(phoneHtml(null)).toBe('');
  });

  test('share paths, ids and likes', () => {
    expect(sharePathFor(5, '/pages/news-article/index?id=5&share=t')).toBe('/pages/news-article/index?id=5&share=t');
    expect(sharePathFor(5, '/pages/news-article/indexx?id=5')).toBe('/pages/news-article/index?id=5');
    expect(sharePathFor(5, undefined, '/pages/news-article/index?id=5&share=own')).toBe('/pages/news-article/index?id=5&share=own');
    expect(['7', 7, '0', '-1', '1e3', '', undefined].map(idFrom)).toEqual([7, 7, null, null, null, null, null]);
    expect([likeLabel(false, 0), likeLabel(true, 1), likeLabel(false, 30)]).toEqual(['点赞', '已赞 1', '点赞 30']);
    expect(articleView({ ...ARTICLE, summary: null, cover_url: null })).toMatchObject({ summary: '', cover: '' });
  });

  test('days and times in Beijing', () => {
    const now = new Date('2026-11-24T04:00:00Z');
    expect(beijingDay('2026-11-23T16:30:00+00:00')).toBe('2026年11月24日'); // past midnight in Beijing
    expect(arrivedText('2026-11-23T16:30:00+00:00', now)).toBe('今天 00:30');
    expect(arrivedText('2026-11-23T15:59:00+00:00', now)).toBe('昨天 23:59');
    expect(arrivedText('2026-01-02T00:00:00+00:00', now)).toBe('1月2日');
    expect(arrivedText('2025-12-31T17:00:00+00:00', now)).toBe('1月1日');
    expect(arrivedText('2025-12-31T15:00:00+00:00', now)).toBe('2025年12月31日');
    expect([beijingDay(null), arrivedText('', now)]).toEqual(['', '']);
  });
});
