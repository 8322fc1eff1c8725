// 我的积分: my learning points — the total, today's, by source (每日练习, 考试, 竞答, 阅读手机报) with today's
// share of each source's daily cap, and the latest entries of the ledger, each with what earned it.
// 阅读手机报 shows only where this deployment has the newspaper (the home answer kept on the phone says so)
// or points were earned by it.
const { leadsToLogin, showError } = require('../../utils/api');
const { SOURCE_LABELS, whenText, LEADERBOARD_PAGE } = require('../../utils/quiz');

const POINTS_PATH = '/api/me/points';
const HOME_PATH = '/api/home';
const SOURCES = ['practice', 'exam', 'contest', 'reading'];
const EMPTY_TEXT = '还没有学习积分。参加每日练习、考试和竞答，阅读手机报，都可以获得积分';

function hasNewspaper(home) {
  return Boolean(home && Array.isArray(home.features) && home.features.includes('newspaper'));
}

function sourceRow(source, points, home) {
  const total = (points.by_source && points.by_source[source]) || 0;
  const today = (points.today_by_source && points.today_by_source[source]) || 0;
  const cap = points.daily_caps ? points.daily_caps[source] : null;
  if (source === 'reading' && !total && !hasNewspaper(home)) return null;
  const capped = cap !== null && cap !== undefined;
  return {
    source,
    label: SOURCE_LABELS[source],
    total,
    todayText: capped ? `今日 ${today}/${cap}` : `今日 ${today}`,
    full: capped && today >= cap,
  };
}

function entryView(entry, index, now) {
  return {
    key: `${entry.created_at}-${index}`,
    label: SOURCE_LABELS[entry.source] || '学习',
    note: entry.note || '',
    pointsText: `+${entry.points}`,
    when: whenText(entry.created_at, now),
  };
}

function pointsView(points, home, now) {
  return {
    total: points.total,
    todayText: points.today > 0 ? `今日 +${points.today}` : '今日还没有获得积分',
    sources: SOURCES.map((source) => sourceRow(source, points, home)).filter(Boolean),
    recent: (points.recent || []).map((entry, index) => entryView(entry, index, now)),
  };
}

function createPointsPage({ api, wx, now = () => new Date() }) {
  return {
    data: { state: 'loading', stateMessage: '', stale: false, total: 0, todayText: '', sources: [], recent: [] },

    loaded: false,

    onShow() {
      return this.load({ quiet: this.loaded });
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      return this.load({ quiet: this.loaded && this.data.state !== 'error' });
    },

    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(POINTS_PATH, { retry: false, cache: true })
        .then((points) => this.show(points, false))
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (this.loaded && this.data.state !== 'error') {
            showError(wx, err);
            return;
          }
          const kept = api.cached ? api.cached(POINTS_PATH) : null;
          if (kept) this.show(kept, true);
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    show(points, stale) {
      this.loaded = true;
      const home = api.cached ? api.cached(HOME_PATH) : null;
      const nothing = !points.total && !(points.recent || []).length;
      this.setData({
        ...pointsView(points, home, now()),
        stale,
        state: nothing ? 'empty' : 'ready',
        stateMessage: nothing ? EMPTY_TEXT : '',
      });
    },

    onLeaderboard() {
      wx.navigateTo({ url: LEADERBOARD_PAGE });
    },
  };
}

module.exports = { createPointsPage, pointsView, EMPTY_TEXT };
