// My meetings: upcoming first, then past ones. Secretaries also get 安排会议.
const { showError } = require('../../utils/api');
const { beijing } = require('../../utils/time');

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
    data: { upcoming: [], past: [], loading: true, canCreate: null },
    onShow() {
      return api
        .get('/api/meetings')
        .then((meetings) => {
          this.setData({ ...split(meetings, now()), loading: false });
          return this.checkCanCreate();
        })
        .catch((err) => {
          this.setData({ loading: false });
          showError(wx, err);
        });
    },
    // The options endpoint answers 403 to members who may not schedule meetings: that is the answer,
    // not an error to show. Asked once, after the list, so a bad network never asks twice at a time.
    checkCanCreate() {
      if (this.data.canCreate !== null) return Promise.resolve();
      return api.get('/api/meetings/options').then(
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
