// One issue of the 手机报: 第 N 期, who published it and on which day (Beijing time), and its articles,
// the first with a large cover, each marked 已读 / 已赞 for me. Opening the issue marks it read in my
// inbox (the server does that on this GET). Coming back from an article asks again quietly, so the marks
// follow what I just read and liked.
const { leadsToLogin, showError } = require('../../utils/api');
const { beijingDay } = require('../../utils/time');
const { articleUrl, idFrom, mediaUrl } = require('../../utils/newspaper');

const issuePath = (id) => `/api/newspaper/issues/${id}`;
const NOT_FOUND = '没有找到这一期手机报，可能已撤回';

function issueView(body) {
  return {
    id: body.id,
    numberText: `第 ${body.number} 期`,
    title: body.title,
    org: body.org_name || '',
    date: beijingDay(body.published_at),
  };
}

function articleView(article) {
  return {
    id: article.id,
    title: article.title,
    summary: article.summary || '',
    cover: mediaUrl(article.cover_url),
    read: Boolean(article.read),
    liked: Boolean(article.liked),
  };
}

function createNewsIssuePage({ api, wx }) {
  return {
    data: { state: 'loading', stateMessage: '', issue: null, lead: null, articles: [] },

    issueId: null,
    loaded: false,

    onLoad(options = {}) {
      this.issueId = idFrom(options.id);
      if (!this.issueId) {
        this.setData({ state: 'error', stateMessage: NOT_FOUND });
        return Promise.resolve();
      }
      return this.load();
    },

    onShow() {
      return this.loaded ? this.load({ quiet: true }) : Promise.resolve();
    },

    onRetry() {
      return this.issueId ? this.load() : Promise.resolve();
    },

    onReconnect() {
      if (!this.issueId) return Promise.resolve();
      return this.load({ quiet: this.data.state === 'ready' });
    },

    onPullDownRefresh() {
      const done = this.issueId ? this.load({ quiet: true }) : Promise.resolve();
      return done.then(() => wx.stopPullDownRefresh());
    },

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(issuePath(this.issueId), { retry: false })
        .then((body) => {
          this.loaded = true;
          const articles = (body.articles || []).map(articleView);
          this.setData({
            issue: issueView(body),
            lead: articles[0] || null,
            articles: articles.slice(1),
            state: articles.length ? 'ready' : 'empty',
            stateMessage: articles.length ? '' : '这一期还没有文章',
          });
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (quiet && this.data.state === 'ready') {
            showError(wx, err);
            return;
          }
          this.setData({ state: 'error', stateMessage: err.status === 404 ? NOT_FOUND : err.message || '' });
        });
    },

    onOpen(event) {
      wx.navigateTo({ url: articleUrl(event.currentTarget.dataset.id) });
    },
  };
}

module.exports = { createNewsIssuePage, issueView, articleView, issuePath };
