// My personal check-in code, for rooms without a projector: the secretary scans it. It refreshes itself
// well before it expires (a screenshot sent to someone else stops working), counts down to the next
// refresh, keeps trying after a failure, and stops when the page is hidden. The screen stays on while it
// is shown: a phone dimming in the queue is the commonest reason a scan fails.
const RETRY_AFTER_S = 5;
const TICK_MS = 1000;

function createMyCodePage({ api, wx, setTimer = setTimeout, clearTimer = clearTimeout }) {
  return {
    data: { state: 'loading', stateMessage: '', image: '', memberName: '', countdown: 0, failed: false },
    timer: null,
    visible: false,

    onShow() {
      this.visible = true;
      wx.setKeepScreenOn({ keepScreenOn: true });
      return this.refresh();
    },

    onHide() {
      this.leave();
    },

    onUnload() {
      this.leave();
    },

    leave() {
      this.visible = false;
      this.stop();
      wx.setKeepScreenOn({ keepScreenOn: false });
    },

    stop() {
      if (this.timer !== null) clearTimer(this.timer);
      this.timer = null;
    },

    onRetry() {
      this.setData({ state: 'loading', stateMessage: '' });
      return this.refresh();
    },

    refresh() {
      this.stop();
      // retry: false: this page tries again by itself; a "retry?" modal every few seconds would bury it.
      return api
        .get('/api/me/checkin-code', { retry: false })
        .then((body) => {
          if (!this.visible) return;
          this.setData({
            state: 'ready',
            stateMessage: '',
            image: `data:image/png;base64,${body.qr_png_base64}`,
            memberName: body.member_name || '',
            failed: false,
          });
          this.countFrom(Math.max(5, Math.floor(body.expires_in / 2)));
        })
        .catch((err) => {
          if (!this.visible || (err && err.code === 'not_bound')) return; // the client takes them to binding
          this.failure = (err && err.message) || '网络不给力';
          if (this.data.image) this.setData({ failed: true });
          else this.setData({ state: 'error' });
          this.countFrom(RETRY_AFTER_S);
        });
    },

    // Count down a second at a time on screen, then refresh.
    countFrom(seconds) {
      this.show(seconds);
      const tick = (left) => {
        this.timer = setTimer(() => {
          if (left - 1 <= 0) return this.refresh();
          this.show(left - 1);
          return tick(left - 1);
        }, TICK_MS);
      };
      tick(seconds);
    },

    show(countdown) {
      const patch = { countdown };
      if (this.data.state === 'error') patch.stateMessage = `${this.failure}，${countdown} 秒后自动重试`;
      this.setData(patch);
    },
  };
}

module.exports = { createMyCodePage, RETRY_AFTER_S };
