// What a page shows instead of its content while it cannot show it: loading, empty, an error with a
// retry button, forbidden (not this member's to see), or a meeting that has ended or was cancelled.
// `state` 'ready' shows nothing, so a page keeps its content under `wx:if="{{state === 'ready'}}"`.
const DEFAULT_TEXT = {
  loading: '加载中…',
  empty: '暂无内容',
  error: '加载失败，请检查网络后重试',
  forbidden: '您无权查看此内容',
  ended: '会议已结束',
  cancelled: '会议已取消',
};

Component({
  properties: {
    state: { type: String, value: 'loading' },
    message: { type: String, value: '' },
  },
  observers: {
    'state, message': function update(state, message) {
      this.setData({ text: message || DEFAULT_TEXT[state] || '' });
    },
  },
  data: { text: DEFAULT_TEXT.loading },
  methods: {
    onRetry() {
      this.triggerEvent('retry');
    },
  },
});
