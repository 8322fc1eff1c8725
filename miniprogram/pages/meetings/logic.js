// My meetings: upcoming first, then past ones. Secretaries also get 安排会议.
// States: loading, error with 重新加载 (or the last list kept on the phone, marked), empty, the list;
// pull down to refresh.
const { showError, leadsToLogin } = require('../../utils/api');
const { beijing } = require('../../utils/time');

const LIST_PATH = '/api/meetings';

function split(meetings, now) {
  const view = meetings.map((m) => ({ ...m, when: beijing(m.starts_at) }));
  return {
    upcoming: view.filter((m) => new Date(m.ends_at) >= now).reverse(),
    past: view.filter((m) => new Date(m.ends_at) < now),
  };
}

function createMeetingsPage({ api, wx, now = () => new Date() }) {
  return {
    // canCreate: null until the server has said whether this member may schedule meetings
    data: { state: 'loading', stateMessage: '', stale: false, upcoming: [], past: [], canCreate: null },

    onShow() {
      return this.load();
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    onRetry() {
      this.setData({ state: 'loading' });
      return this.load();
    },

    onReconnect() {
      return this.load();
    },

    load() {
      return api
        .get(LIST_PATH, { retry: false, cache: true })
        .then((meetings) => {
          this.show(meetings, false);
          return this.checkCanCreate();
        })
        .catch((err) => {
          if (leadsToLogin(err)) return;
          if (this.data.state !== 'loading' && this.data.state !== 'error') {
            showError(wx, err); // keep the list on screen; say why it did not refresh
            return;
          }
          const kept = api.cached ? api.cached(LIST_PATH) : null;
          if (kept) this.show(kept, true);
          else this.setData({ state: 'error', stateMessage: err.message || '' });
        });
    },

    show(meetings, stale) {
      const { upcoming, past } = split(meetings, now());
      this.setData({
        upcoming,
        past,
        stale,
        state: meetings.length ? 'ready' : 'empty',
        stateMessage: meetings.length ? '' : '还没有会议安排，支部安排会议后会显示在这里',
      });
    },

    // The options endpoint answers 403 to members who may not schedule meetings: that is the answer,
    // not an error to show. Asked once, after the list, so a bad network never asks twice at a time.
    checkCanCreate() {
      if (this.data.canCreate !== null) return Promise.resolve();
      return api.get('/api/meetings/options', { retry: false }).then(
        () => this.setData({ canCreate: true }),
        (err) => {
          if (err.status === 403) this.setData({ canCreate: false });
        },
      );
    },

    open(event) {
      wx.navigateTo({ url: `/pages/meeting/index?id=${event.currentTarget.dataset.id}` });
    },

    create() {
      wx.navigateTo({ url: '/pages/meeting-new/index' });
    },
  };
}

module.exports = { createMeetingsPage, split };
