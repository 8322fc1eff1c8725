// 积分榜: the best of my branch (本支部) or my committee (全党委), over all time (总榜) or this month
// (本月), and where I stand — my own line on top, and my row marked where I am in the list (the server
// marks it: is_me; two members of one name level on points are still told apart).
const { leadsToLogin, showError } = require('../../utils/api');

const BOARD_PATH = '/api/leaderboard';
const SCOPES = [
  { key: 'branch', label: '本支部' },
  { key: 'committee', label: '全党委' },
];
const PERIODS = [
  { key: 'all', label: '总榜' },
  { key: 'month', label: '本月' },
];

const boardPath = (scope, period) => `${BOARD_PATH}?scope=${scope}&period=${period}`;

function boardView(board, scope, period) {
  const me = board.me || { rank: null, points: 0 };
  const rows = (board.items || []).map((standing, index) => ({
    key: `${standing.rank}-${index}`,
    rank: standing.rank,
    top: standing.rank <= 3 ? standing.rank : 0,
    name: standing.name,
    org: scope === 'committee' ? standing.org_name : '',
    points: standing.points,
    mine: standing.is_me === true,
  }));
  return {
    boardTitle: `${board.org_name || ''}${period === 'month' ? ' · 本月' : ' · 总榜'}`,
    rows,
    myRankText: me.rank ? `第 ${me.rank} 名` : '暂未上榜',
    myPointsText: `${me.points || 0} 分`,
    myHint: me.rank ? '' : '参加答题获得积分后即可上榜',
  };
}

function createLeaderboardPage({ api, wx }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error, empty, ready
      stateMessage: '',
      stale: false,
      scopes: SCOPES,
      periods: PERIODS,
      scope: 'branch',
      period: 'all',
      boardTitle: '',
      rows: [],
      myRankText: '',
      myPointsText: '',
      myHint: '',
    },

    onLoad(options = {}) {
      const scope = SCOPES.some((s) => s.key === options.scope) ? options.scope : 'branch';
      this.setData({ scope });
      return this.load();
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      return this.load({ quiet: this.data.state === 'ready' || this.data.state === 'empty' });
    },

    onScope(event) {
      const { key } = event.currentTarget.dataset;
      if (key === this.data.scope) return Promise.resolve();
      this.setData({ scope: key });
      return this.load();
    },

    onPeriod(event) {
      const { key } = event.currentTarget.dataset;
      if (key === this.data.period) return Promise.resolve();
      this.setData({ period: key });
      return this.load();
    },

    load({ quiet = false } = {}) {
      const { scope, period } = this.data;
      const path = boardPath(scope, period);
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(path, { retry: false, cache: true })
        .then((board) => this.show(board, scope, period, false))
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (quiet) {
            showError(wx, err);
            return;
          }
          const kept = api.cached ? api.cached(path) : null;
          if (kept) this.show(kept, scope, period, true);
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    show(board, scope, period, stale) {
      // a tap on another tab while this answer was on its way: the newer choice wins
      if (scope !== this.data.scope || period !== this.data.period) return;
      const view = boardView(board, scope, period);
      this.setData({
        ...view,
        stale,
        state: view.rows.length ? 'ready' : 'empty',
        stateMessage: view.rows.length ? '' : period === 'month' ? '本月还没有人获得积分' : '还没有人获得积分',
      });
    },
  };
}

module.exports = { createLeaderboardPage, boardView, boardPath };
