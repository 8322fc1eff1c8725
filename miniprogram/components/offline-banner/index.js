// "网络已断开" across the top of a page while the phone is offline (the app's globalData, kept by
// utils/shell.js). When the connection comes back it fires `reconnect`, so a page can reload by itself.
Component({
  data: { offline: false },
  lifetimes: {
    attached() {
      const app = typeof getApp === 'function' ? getApp() : null;
      if (!app || typeof app.watchNetwork !== 'function') return;
      this.stopWatching = app.watchNetwork((online) => {
        const wasOffline = this.data.offline;
        this.setData({ offline: !online });
        if (wasOffline && online) this.triggerEvent('reconnect');
      });
    },
    detached() {
      if (this.stopWatching) this.stopWatching();
    },
  },
});
