// One 手机报 article: title, the day it was published (Beijing time), the cover, the body as the server
// sanitised it (shown by <rich-text>), and at the end 点赞 and 转发.
//
// What the server counts, and when the page tells it:
// - opened: the GET itself. A page opened from a forward carries `share` (the sharer's token), which the
//   GET passes on, so the open counts for the sharer.
// - read to the end: once per visit, when the end of the article has been on screen (an intersection
//   observer on the end marker; reaching the bottom of the page counts too) and the member has had the
//   article for at least MIN_READ_MS — a short article fits on one screen, and its end is in view the
//   moment it appears. A report that fails is tried again the next time the end is seen.
// - liked: the heart changes at once and goes back if the server refuses; taps while one is on its way
//   are ignored, so the count on screen is always one the server agreed to or one step ahead of it.
// - forwarded: WeChat asks onShareAppMessage for the card; the page answers with the server's share path
//   at once and asks the server to record the forward, whose own path (naming this forward) replaces it
//   if it arrives within WeChat's three seconds.
const { leadsToLogin, showError } = require('../../utils/api');
const { beijingDay } = require('../../utils/time');
const { articleUrl, idFrom, mediaUrl, phoneHtml, sharePathFor } = require('../../utils/newspaper');

const articlePath = (id) => `/api/newspaper/articles/${id}`;
const MIN_READ_MS = 3000;
const END_MARKER = '.article__end';
const NOT_FOUND = '没有找到这篇文章，可能已撤回';
const SHARE_TOKEN = /^[\w-]{1,128}$/;

function articleView(body) {
  return {
    id: body.id,
    issueId: body.issue_id,
    title: body.title,
    summary: body.summary || '',
    cover: mediaUrl(body.cover_url),
    date: beijingDay(body.published_at),
    html: phoneHtml(body.body_html),
  };
}

function likeLabel(liked, likes) {
  return `${liked ? '已赞' : '点赞'}${likes > 0 ? ` ${likes}` : ''}`;
}

function createNewsArticlePage({ api, wx, timers = { setTimeout, clearTimeout }, now = () => Date.now() }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error, ready
      stateMessage: '',
      article: null,
      liked: false,
      likes: 0,
      likeText: '点赞',
      liking: false,
      sharePath: '',
    },

    articleId: null,
    shareToken: '',
    shownAt: 0,
    endInView: false,
    finished: false, // reported (or on its way) for this visit
    readTimer: null,
    endObserver: null,

    onLoad(options = {}) {
      this.articleId = idFrom(options.id);
      this.shareToken = SHARE_TOKEN.test(String(options.share || '')) ? String(options.share) : '';
      if (!this.articleId) {
        this.setData({ state: 'error', stateMessage: NOT_FOUND });
        return Promise.resolve();
      }
      return this.load();
    },

    onUnload() {
      this.stopWatching();
    },

    onRetry() {
      return this.articleId ? this.load() : Promise.resolve();
    },

    onReconnect() {
      if (this.data.state !== 'ready') return this.onRetry();
      this.maybeFinish(); // a report lost to the network goes now
      return Promise.resolve();
    },

    load() {
      this.setData({ state: 'loading', stateMessage: '' });
      const query = this.shareToken ? `?share=${encodeURIComponent(this.shareToken)}` : '';
      return api
        .get(articlePath(this.articleId) + query, { retry: false })
        .then((body) => {
          this.shownAt = now();
          const liked = Boolean(body.liked);
          const likes = Number(body.likes) || 0;
          this.setData(
            {
              article: articleView(body),
              liked,
              likes,
              likeText: likeLabel(liked, likes),
              sharePath: sharePathFor(this.articleId, body.share_path),
              state: 'ready',
            },
            () => this.watchEnd(),
          );
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          this.setData({ state: 'error', stateMessage: err.status === 404 ? NOT_FOUND : err.message || '' });
        });
    },

    // ---- read to the end ----

    watchEnd() {
      if (this.endObserver || typeof wx.createIntersectionObserver !== 'function') return;
      this.endObserver = wx.createIntersectionObserver(this);
      this.endObserver.relativeToViewport({ bottom: 0 }).observe(END_MARKER, (res) => this.endSeen(res.intersectionRatio > 0));
    },

    stopWatching() {
      if (this.endObserver) this.endObserver.disconnect();
      this.endObserver = null;
      if (this.readTimer !== null) timers.clearTimeout(this.readTimer);
      this.readTimer = null;
    },

    onReachBottom() {
      this.endSeen(true);
    },

    endSeen(inView) {
      this.endInView = inView;
      this.maybeFinish();
    },

    maybeFinish() {
      if (this.finished || !this.endInView || this.data.state !== 'ready') return;
      const waited = now() - this.shownAt;
      if (waited < MIN_READ_MS) {
        if (this.readTimer === null) {
          this.readTimer = timers.setTimeout(() => {
            this.readTimer = null;
            this.maybeFinish();
          }, MIN_READ_MS - waited);
        }
        return;
      }
      this.finished = true;
      api.post(`${articlePath(this.articleId)}/finish`, {}, { retry: false }).catch(() => {
        this.finished = false;
      });
    },

    // ---- like ----

    onLike() {
      if (this.data.liking || this.data.state !== 'ready') return Promise.resolve();
      const before = { liked: this.data.liked, likes: this.data.likes };
      const liked = !before.liked;
      const likes = Math.max(0, before.likes + (liked ? 1 : -1));
      this.setData({ liked, likes, likeText: likeLabel(liked, likes), liking: true });
      return api
        .post(`${articlePath(this.articleId)}/like`, { liked }, { retry: false })
        .then((answer) => {
          const agreed = { liked: Boolean(answer.liked), likes: Number(answer.likes) || 0 };
          this.setData({ ...agreed, likeText: likeLabel(agreed.liked, agreed.likes), liking: false });
        })
        .catch((err) => {
          this.setData({ ...before, likeText: likeLabel(before.liked, before.likes), liking: false });
          showError(wx, err);
        });
    },

    // ---- forward ----

    onShareAppMessage() {
      const article = this.data.article;
      if (this.data.state !== 'ready' || !article) {
        return { title: '手机报', path: this.articleId ? articleUrl(this.articleId) : '/pages/inbox/index' };
      }
      const card = { title: article.title, path: this.data.sharePath || articleUrl(article.id) };
      if (article.cover) card.imageUrl = article.cover;
      const recorded = api
        .post(`${articlePath(article.id)}/share`, {}, { retry: false })
        .then((answer) => ({ ...card, path: sharePathFor(article.id, answer && answer.share_path, card.path) }))
        .catch(() => card);
      return { ...card, promise: recorded };
    },
  };
}

module.exports = { createNewsArticlePage, articleView, likeLabel, articlePath, MIN_READ_MS };
