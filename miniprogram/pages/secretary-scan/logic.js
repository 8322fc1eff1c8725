// Secretary mode: scan members' personal codes one after another, and watch the live list of who has
// come — the counts, the arrivals newest first and the names still to come — refreshed every 3 seconds
// while the page is on screen and right after each scan.
//
// Continuous mode keeps the camera open on the page (<camera mode="scanCode">): the secretary holds the
// phone while members file past, each accepted code buzzes the phone, and the same code seen again
// within a few seconds (the camera reports it many times a second) is ignored.
const { showError } = require('../../utils/api');
const { beijingParts } = require('../../utils/time');

const POLL_MS = 3000;
const SAME_CODE_MS = 5000;
const SCANNED_SHOWN = 50;

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
    state: 'ready',
    stateMessage: '',
  };
}

function createSecretaryScanPage({ api, wx, now = () => Date.now() }) {
  return {
    data: {
      id: null,
      state: 'loading',
      stateMessage: '',
      busy: false,
      lastScan: '',
      denied: '',
      loaded: false,
      stale: false,
      tiles: [],
      arrivals: [],
      waiting: [],
      waitingMore: 0,
      onLeave: [],
      continuous: false,
      scanned: [], // checked in from this phone since the page opened, newest first
    },
    poller: null,
    inFlight: 0,
    asked: 0, // numbers each request, so an answer overtaken by a newer one is not shown
    shown: 0,
    seen: {}, // code → when the camera last reported it
    posting: false,

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
      if (err && (err.status === 403 || err.status === 404)) {
        this.stopPolling();
        this.setData({ denied: err.message, state: 'forbidden', stateMessage: err.message, continuous: false });
      } else if (!this.data.loaded) {
        this.setData({ stale: true, state: 'error', stateMessage: '网络不给力，名单稍后自动刷新' });
      } else {
        this.setData({ stale: true });
      }
    },

    onRetry() {
      this.setData({ state: 'loading', stateMessage: '' });
      this.startPolling();
      return this.refresh();
    },

    scan() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      return new Promise((resolve, reject) => wx.scanCode({ onlyFromCamera: true, success: resolve, fail: reject }))
        .then((scanned) => this.checkIn(scanned.result))
        .catch((err) => {
          if (!(err && err.errMsg && /cancel/.test(err.errMsg))) showError(wx, err);
        })
        .then(() => this.setData({ busy: false }));
    },

    checkIn(code) {
      return api.post(`/api/meetings/${this.data.id}/scan-member`, { code }).then((result) => {
        const line = `${result.member_name}：${result.message}`;
        const entry = { key: `${now()}-${code}`, name: result.member_name, message: result.message, time: clock(new Date(now()).toISOString()) };
        // A member checked in before (here or elsewhere) is said so in the last-scan line, not counted again.
        const scanned = result.already ? this.data.scanned : [entry, ...this.data.scanned].slice(0, SCANNED_SHOWN);
        this.setData({ lastScan: line, scanned });
        wx.vibrateShort({ type: 'medium' });
        wx.showToast({ title: `${result.member_name} ${result.message}`, icon: 'none' });
        return this.refresh(); // the list shows the member at once, not at the next tick
      });
    },

    // 连续扫码 on and off; the camera asks for its permission itself when it first shows.
    toggleContinuous() {
      this.setData({ continuous: !this.data.continuous });
    },

    // The camera reports what it sees many times a second: one code is posted once, a code already
    // posted is ignored for a few seconds, and nothing new is taken while a post is out (the camera
    // will report the next member's code again a moment later).
    onScanCode(event) {
      const code = String((event && event.detail && event.detail.result) || '').trim();
      const at = now();
      if (!code || this.posting || at - (this.seen[code] || -Infinity) < SAME_CODE_MS) return Promise.resolve();
      this.seen[code] = at;
      this.posting = true;
      return this.checkIn(code)
        .catch((err) => {
          this.setData({ lastScan: `未签到：${(err && err.message) || '请稍后再试'}` });
          showError(wx, err);
        })
        .then(() => {
          this.posting = false;
        });
    },

    // No camera permission (or no camera): say so and offer the settings, as for the location.
    onCameraError() {
      this.setData({ continuous: false });
      wx.showModal({
        title: '无法使用相机',
        content: '连续扫码需要使用相机。请在设置中允许“电子党务”使用摄像头后再试。',
        confirmText: '去设置',
        cancelText: '暂不',
        success: (answer) => {
          if (answer.confirm) wx.openSetting({});
        },
      });
    },
  };
}

module.exports = { createSecretaryScanPage, liveFrom, POLL_MS, SAME_CODE_MS };
