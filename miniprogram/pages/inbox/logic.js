// 消息: everything delivered to me, newest first as the server lists it — newspaper issues and the
// secretaries' notices — each row drawn from its `kind`, unread ones marked with a dot, and the unread
// count of each kind on top (通知 2 · 手机报 1). Pages of 20 load as the member
// scrolls to the bottom (the server's cursor); pull down to refresh. 订阅手机报推送 asks WeChat for one
// more push of the newspaper, straight from the tap.
//
// Coming back from an issue (the tab is shown again) refreshes only the top: the newest page is laid
// over what is on screen, so a member who scrolled far down does not lose their place.
const { leadsToLogin, showError } = require('../../utils/api');
const { arrivedText } = require('../../utils/time');
const { askFor, templateIdsFor } = require('../../utils/subscribe');
const { KINDS, kindOf, showUnreadBadge } = require('../../utils/inbox');
const { mediaUrl } = require('../../utils/newspaper');

const INBOX_PATH = '/api/inbox';
const SUBSCRIPTIONS_PATH = '/api/me/subscriptions';
const PURPOSE = 'newspaper_issue';
const PAGE_SIZE = 20;
const FIRST_PAGE = `${INBOX_PATH}?limit=${PAGE_SIZE}`;
const pageAfter = (cursor) => `${INBOX_PATH}?cursor=${encodeURIComponent(cursor)}&limit=${PAGE_SIZE}`;
const EMPTY_TEXT = '还没有收到消息。通知和手机报发布后会出现在这里';

function itemView(item, now) {
  const kind = kindOf(item.kind);
  return {
    id: item.id,
    kind: item.kind,
    kindLabel: kind.label,
    title: item.title,
    subtitle: item.subtitle || '',
    cover: mediaUrl(item.cover_url),
    when: arrivedText(item.delivered_at, now),
    unread: Boolean(item.unread),
    url: kind.page(item.ref_id),
  };
}

// The unread count of each kind the phone knows, notices first, only kinds with some unread.
function kindBadges(byKind) {
  const counts = byKind || {};
  return ['notice', 'newspaper']
    .filter((kind) => KINDS[kind] && Number(counts[kind]) > 0)
    .map((kind) => ({ kind, label: KINDS[kind].label, count: Number(counts[kind]) }));
}

// The newest page laid over the rows on screen. When the page reaches into what is shown, the rows after
// that point stay (with the cursor that follows them); when it does not, or it is the whole inbox, it
// replaces everything. Rows the newest page no longer has (an issue withdrawn) drop out with it.
function layOver(shown, shownCursor, top, topCursor) {
  if (!topCursor || !top.length) return { items: top, cursor: topCursor || null };
  const last = top[top.length - 1];
  const at = shown.findIndex((row) => row.id === last.id);
  if (at < 0) return { items: top, cursor: topCursor };
  const onTop = new Set(top.map((row) => row.id));
  return { items: top.concat(shown.slice(at + 1).filter((row) => !onTop.has(row.id))), cursor: shownCursor };
}

// What a subscription holds now, from the server's count: each accept lets it push one issue, so a
// member who has some left may still tap for one more (再订阅一次).
function subscribeStatus(answer) {
  const line = ((answer && answer.subscriptions) || []).find((item) => item.purpose === PURPOSE);
  if (!line) return { subscribeStatus: '', subscribed: false };
  if (line.remaining > 0) return { subscribeStatus: `已订阅，还可收到 ${line.remaining} 次推送`, subscribed: true };
  const status = line.refused_at ? '上次推送未能送达，请重新订阅' : '未订阅：新一期只在这里显示，不发微信通知';
  return { subscribeStatus: status, subscribed: false };
}

function createInboxPage({ api, wx, now = () => new Date() }) {
  return {
    data: {
      state: 'loading', // page-state: loading, error, empty, ready
      stateMessage: '',
      stale: false, // the rows are the last ones kept on the phone
      items: [],
      unread: 0,
      kinds: [], // unread per kind: [{kind, label, count}]
      more: 'idle', // the footer: idle (more to load), loading, error, end
      canSubscribe: templateIdsFor([PURPOSE]).length > 0,
      subscribeStatus: '',
      subscribed: false,
    },

    cursor: null,
    loaded: false,
    loadingMore: null,

    onShow() {
      if (!this.loaded) return Promise.all([this.load(), this.refreshSubscription()]);
      return this.refreshTop();
    },

    onPullDownRefresh() {
      return this.load({ quiet: true }).then(() => wx.stopPullDownRefresh());
    },

    onRetry() {
      return this.load();
    },

    onReconnect() {
      return this.loaded && this.data.state !== 'error' ? this.refreshTop() : this.load();
    },

    onReachBottom() {
      return this.loadMore();
    },

    onMoreRetry() {
      return this.loadMore();
    },

    // The first page, replacing the list. On failure: with rows on screen a toast; with nothing on screen
    // the last first page kept on the phone (marked stale), else the error with 重新加载.
    load({ quiet = false } = {}) {
      if (!quiet) this.setData({ state: 'loading', stateMessage: '' });
      return api
        .get(FIRST_PAGE, { retry: false, cache: true })
        .then((body) => {
          const items = (body.items || []).map((item) => itemView(item, now()));
          this.show(items, body.next_cursor, body.unread, false, body.by_kind);
        })
        .catch((err) => this.failed(err));
    },

    refreshTop() {
      return api
        .get(FIRST_PAGE, { retry: false, cache: true })
        .then((body) => {
          const top = (body.items || []).map((item) => itemView(item, now()));
          const { items, cursor } = layOver(this.data.items, this.cursor, top, body.next_cursor);
          this.show(items, cursor, body.unread, false, body.by_kind);
        })
        .catch((err) => this.failed(err));
    },

    failed(err) {
      if (leadsToLogin(err)) return;
      if (this.loaded && this.data.state !== 'error') {
        showError(wx, err); // keep the list on screen; say why it did not refresh
        return;
      }
      const kept = api.cached ? api.cached(FIRST_PAGE) : null;
      if (kept) {
        this.show((kept.items || []).map((item) => itemView(item, now())), kept.next_cursor, kept.unread, true, kept.by_kind);
      } else {
        this.setData({ state: 'error', stateMessage: err.message || '' });
      }
    },

    show(items, cursor, unread, stale, byKind) {
      this.loaded = true;
      this.cursor = cursor || null;
      const count = Number(unread) || 0;
      this.setData({
        items,
        unread: count,
        kinds: kindBadges(byKind),
        stale,
        more: this.cursor ? 'idle' : 'end',
        state: items.length ? 'ready' : 'empty',
        stateMessage: items.length ? '' : EMPTY_TEXT,
      });
      if (!stale) showUnreadBadge(wx, count);
    },

    // The next page after the server's cursor, once at a time; rows already shown are not repeated.
    loadMore() {
      if (this.loadingMore) return this.loadingMore;
      if (!this.cursor || this.data.state !== 'ready' || this.data.stale) return Promise.resolve();
      this.setData({ more: 'loading' });
      this.loadingMore = api
        .get(pageAfter(this.cursor), { retry: false })
        .then((body) => {
          const shown = new Set(this.data.items.map((row) => row.id));
          const added = (body.items || []).filter((item) => !shown.has(item.id)).map((item) => itemView(item, now()));
          this.cursor = body.next_cursor || null;
          this.setData({ items: this.data.items.concat(added), more: this.cursor ? 'idle' : 'end' });
        })
        .catch((err) => {
          if (!leadsToLogin(err)) this.setData({ more: 'error' });
        })
        .finally(() => {
          this.loadingMore = null;
        });
      return this.loadingMore;
    },

    // Opening an item reads it: the server marks it read when the issue is fetched; the dot goes at once.
    onOpen(event) {
      const index = Number(event.currentTarget.dataset.index);
      const row = this.data.items[index];
      if (!row) return;
      if (!row.url) {
        wx.showToast({ title: '请更新小程序后查看这条消息', icon: 'none', duration: 2500 });
        return;
      }
      if (row.unread) {
        const unread = Math.max(0, this.data.unread - 1);
        const items = this.data.items.map((item, i) => (i === index ? { ...item, unread: false } : item));
        const kinds = this.data.kinds
          .map((badge) => (badge.kind === row.kind ? { ...badge, count: badge.count - 1 } : badge))
          .filter((badge) => badge.count > 0);
        this.setData({ items, unread, kinds });
        showUnreadBadge(wx, unread);
      }
      wx.navigateTo({ url: row.url });
    },

    // WeChat shows its dialog only when asked straight from the tap: askFor runs before anything is awaited.
    onSubscribe() {
      return askFor({ wx, api, purposes: [PURPOSE] }).then(({ accepted }) => {
        if (accepted.includes(PURPOSE)) wx.showToast({ title: '已订阅', icon: 'success' });
        else wx.showToast({ title: '未订阅，可随时再点订阅', icon: 'none' });
        return this.refreshSubscription();
      });
    },

    refreshSubscription() {
      if (!this.data.canSubscribe) return Promise.resolve();
      return api
        .get(SUBSCRIPTIONS_PATH, { retry: false })
        .then((answer) => this.setData(subscribeStatus(answer)))
        .catch(() => {}); // the button works without the line; the list says what is wrong with the network
    },
  };
}

module.exports = { createInboxPage, itemView, kindBadges, layOver, subscribeStatus, FIRST_PAGE, PAGE_SIZE, pageAfter };
