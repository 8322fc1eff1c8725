// Secretary mode: scan members' personal codes one after another, and watch the live list of who has
// come — the counts, the arrivals newest first and the names still to come — refreshed every 3 seconds
// while the page is on screen and right after each scan.
const { showError } = require('../../utils/api');
const { beijingParts } = require('../../utils/time');

const POLL_MS = 3000;

function clock(iso) {
  return beijingParts(new Date(iso)).time;
}

// The server's live list as the page shows it.
function liveFrom(body) {
  return {
    tiles: [
      { key: 'expected', label: '应到', value: body.expected },
      { key: 'present', label: '已到', value: body.present },
      { key: 'late', label: '迟到', value: body.late },
      { key: 'leave', label: '请假', value: body.leave },
      { key: 'waiting', label: '未到', value: body.not_arrived },
    ],
    arrivals: body.arrivals.map((a) => ({
      name: a.name,
      time: clock(a.checked_in_at),
      status: a.status,
      statusLabel: a.status_label,
      method: a.method_label,
      // Marks the secretary should look at (same coordinates as another member, no accuracy…), in words.
      flags: (a.flags || []).map((flag) => flag.label).join('；'),
    })),
    waiting: body.not_arrived_names,
    // The server sends the first names of a long list only; the count covers everyone.
    waitingMore: body.not_arrived - body.not_arrived_names.length,
    onLeave: body.on_leave_names,
    loaded: true,
    stale: false,
  };
}

function createSecretaryScanPage({ api, wx }) {
  return {
    data: { id: null, busy: false, lastScan: '', denied: '', loaded: false, stale: false, tiles: [], arrivals: [], waiting: [], waitingMore: 0, onLeave: [] },
    poller: null,
    inFlight: 0,
    asked: 0, // numbers each request, so an answer overtaken by a newer one is not shown
    shown: 0,

    onLoad(options) {
      this.setData({ id: Number(options.id) });
    },

    onShow() {
      if (this.data.denied) return Promise.resolve();
      this.startPolling();
      return this.refresh();
    },

    onHide() {
      this.stopPolling();
    },

    onUnload() {
      this.stopPolling();
    },

    startPolling() {
      if (this.poller !== null) return;
      this.poller = setInterval(() => this.tick(), POLL_MS);
    },

    stopPolling() {
      if (this.poller === null) return;
      clearInterval(this.poller);
      this.poller = null;
    },

    // A tick while the last request is still out is skipped: on a slow network they would pile up.
    tick() {
      return this.inFlight ? Promise.resolve() : this.refresh();
    },

    refresh() {
      const number = ++this.asked;
      this.inFlight += 1;
      return api
        .get(`/api/meetings/${this.data.id}/arrivals`, { retry: false })
        .then((body) => {
          if (number < this.shown) return;
          this.shown = number;
          this.setData(liveFrom(body));
        })
        .catch((err) => this.pollFailed(err))
        .then(() => {
          this.inFlight -= 1;
        });
    },

    // Refused: polling again would be refused again, so stop and say why. Anything else (the network,
    // a server hiccup) is left to the next tick, with a quiet note rather than a toast every 3 seconds.
    pollFailed(err) {
      if (err && err.status === 403) {
        this.stopPolling();
        this.setData({ denied: err.message });
      } else {
        this.setData({ stale: true });
      }
    },

    scan() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      return new Promise((resolve, reject) => wx.scanCode({ onlyFromCamera: true, success: resolve, fail: reject }))
        .then((scanned) => api.post(`/api/meetings/${this.data.id}/scan-member`, { code: scanned.result }))
        .then((result) => {
          this.setData({ lastScan: `${result.member_name}：${result.message}` });
          wx.showToast({ title: `${result.member_name} ${result.message}`, icon: 'none' });
          return this.refresh(); // the list shows the member at once, not at the next tick
        })
        .catch((err) => {
          if (!(err && err.errMsg && /cancel/.test(err.errMsg))) showError(wx, err);
        })
        .then(() => this.setData({ busy: false }));
    },
  };
}

module.exports = { createSecretaryScanPage, liveFrom, POLL_MS };
